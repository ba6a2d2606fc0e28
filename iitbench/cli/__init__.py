"""Command line: one module per subcommand, each a `Command` subclass; `main.py` dispatches."""
