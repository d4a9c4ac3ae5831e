"""Shell completion: the static script generator and the cache files it reads.
Imports `jobs`, `settings` and the root (docs/architecture.md)."""
