"""`lx` commands, one module per group; each parses flags and delegates."""
