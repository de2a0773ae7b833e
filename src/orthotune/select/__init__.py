"""orthotune.select — see DESIGN.md's package map."""
