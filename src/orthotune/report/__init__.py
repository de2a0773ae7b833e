"""orthotune.report — see DESIGN.md's package map."""
