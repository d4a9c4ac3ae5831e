"""lx jobs: inspect (being written)."""
