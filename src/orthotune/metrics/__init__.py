"""orthotune.metrics — see DESIGN.md's package map."""
