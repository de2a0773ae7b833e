"""orthotune.analysis — see DESIGN.md's package map."""
