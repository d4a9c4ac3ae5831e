"""HTTP: the client, retries, the pager, the list query. Knows no State and no terminal;
imports only the root (docs/architecture.md)."""
