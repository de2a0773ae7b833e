"""orthotune.population — see DESIGN.md's package map."""
