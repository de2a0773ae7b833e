"""orthotune.diagnose — see DESIGN.md's package map."""
