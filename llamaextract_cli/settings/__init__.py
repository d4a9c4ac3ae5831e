"""Settings: profiles and precedence, the TOML file, masking. Never talks to the network;
imports only the root (docs/architecture.md)."""
