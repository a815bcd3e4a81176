"""Thin FastAPI adapters: parse, call one service, render."""
