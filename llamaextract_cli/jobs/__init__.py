"""The job domain, with no terminal: fields, IDs, lookups, changes, waits, aggregations.
Imports only `api` and the root (docs/architecture.md)."""
