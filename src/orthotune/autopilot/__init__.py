"""orthotune.autopilot — see DESIGN.md's package map."""
