"""CLI: forms (being written)."""

import typer

forms_app = typer.Typer(no_args_is_help=True)
