"""Thin Typer adapters over the services."""
