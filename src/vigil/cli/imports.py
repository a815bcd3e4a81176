"""CLI: imports (being written)."""

import typer

imports_app = typer.Typer(no_args_is_help=True)
