"""orthotune.search — see DESIGN.md's package map."""
