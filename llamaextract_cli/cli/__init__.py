"""The face: the error boundary, the root command, global options, one module per command
group. May import every room (docs/architecture.md)."""
