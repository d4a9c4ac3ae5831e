"""lx jobs: changing (being written)."""
