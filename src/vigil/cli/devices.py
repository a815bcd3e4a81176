"""CLI: devices (being written)."""

import typer

devices_app = typer.Typer(no_args_is_help=True)
