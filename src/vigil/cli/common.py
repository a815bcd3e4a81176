"""What every command shares: the database, the operator, errors as one-line messages."""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from vigil.config import get_settings
from vigil.errors import VigilError
from vigil.services.access import Principal
from vigil.services.setup import operator
from vigil.store.db import Database
from vigil.store.migrate import is_current

err = Console(stderr=True)
out = Console()
F = TypeVar("F", bound=Callable[..., Any])


def open_database(migrated: bool = True) -> Database:
    """The configured database; commands other than init need it set up first."""
    url = make_url(get_settings().effective_database_url)
    missing = url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file()
    if migrated and missing:
        fail(f"no database at {url.database}: run `vigil init` (or set VIGIL_DATA_DIR)")
    db = Database(url.render_as_string(hide_password=False))
    if migrated and not is_current(db.engine):
        fail("the database is not set up (or is older than this Vigil): run `vigil init`")
    return db


def cli_operator() -> Principal:
    """The operator at the console, as the audit log names them."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return operator(f"cli:{name}")


def fail(message: str, code: int = 1) -> None:
    """Print one line to stderr and exit non-zero."""
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def clear_errors(func: F) -> F:
    """Turn an expected failure into a one-line message and exit code 1, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except VigilError as exc:
            lines = [exc.detail] + [f"  {e.field}: {e.message}" for e in exc.errors[1:20]]
            fail("\n".join(lines))
        except OSError as exc:
            fail(f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": "))
        except SQLAlchemyError as exc:
            fail(f"database error, nothing was written: {str(exc).splitlines()[0]}")
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # the promise: a message, never a traceback
            logging.getLogger("vigil.cli").debug("unexpected error", exc_info=True)
            fail(f"unexpected error, nothing was written: {type(exc).__name__}: {exc}")

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[str, int], None]]:
    """A Rich progress bar; yields tick(stage, n). Quiet when not on a terminal."""
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(description, total=total)

        def tick(stage: str, n: int) -> None:
            bar.update(task, advance=n, description=f"{description}: {stage}")

        yield tick


def parse_time(option: str, text: str) -> datetime:
    """An ISO 8601 time with its UTC offset, or a one-line error naming the option."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r} is not an ISO 8601 date and time (e.g. 2021-01-01T00:00+04:00)")
        raise  # fail() exits; this keeps type checkers sure
    if when.utcoffset() is None:
        fail(f"{option} {text!r} needs a UTC offset (e.g. 2021-01-01T00:00+04:00 or ...Z)")
    return when
