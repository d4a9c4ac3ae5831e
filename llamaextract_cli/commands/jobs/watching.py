"""lx jobs: watching (being written)."""
