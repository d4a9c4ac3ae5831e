"""lx: a command-line tool for LlamaCloud Extract v2 jobs."""

__version__ = "0.1.0"
