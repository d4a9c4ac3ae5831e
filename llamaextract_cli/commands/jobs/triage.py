"""lx jobs: triage (being written)."""
