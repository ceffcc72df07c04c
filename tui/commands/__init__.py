"""The `coach` subcommands, one module per family; tui/cli.py wires them into the parser."""
