"""lx jobs: waiting (being written)."""
