"""A local emulator of the LlamaCloud Extract v2 jobs API (`lx sandbox serve`, `--profile sandbox`).

Shares no code with the client: it is what the client is checked against.
Import the pieces from their modules (`app`, `transport`, `server`, `faults`, `clock`);
this package module stays import-light so `lx --help` does not pay for it.
"""
