"""`vigil simulate`: simulated days on the mission's line, recorded with their ground truth."""

from __future__ import annotations

from datetime import datetime

import typer

from vigil.cli.common import clear_errors, cli_operator, fail, open_database, out, progress_bar


@clear_errors
def simulate(
    as_user: str = typer.Option(
        ..., "--as", help="The user the observations are submitted as (one who may report)."
    ),
    days: int = typer.Option(30, help="How many days to simulate (1 to 3660)."),
    start: str = typer.Option(
        None,
        help="Start, ISO 8601 with a UTC offset (2021-01-01T00:00+04:00). Default: local "
        "midnight after the latest observation, or the mandate's start.",
    ),
    seed: int = typer.Option(1, help="Seed: the same seed and start give the same data."),
    density: float = typer.Option(
        1.0, help="Multiplies the rate of every kind of event (3 is three times as busy)."
    ),
) -> None:
    """Simulate days of fire along the line of contact as the mission's posts report it."""
    from vigil.services import simulation  # the simulator is imported only when needed

    begin = _start(start) if start is not None else None
    db = open_database()
    with db.writing() as session, progress_bar("simulate", None) as tick:
        run = simulation.simulate_into(
            session, cli_operator(), as_user, begin, days, seed, density, tick
        )
    done = run.recorded
    out.print(
        f"simulated {run.days} days from {run.start.isoformat(timespec='minutes')} "
        f"(seed {run.seed}, density {run.density:g}): {done.observations} observations "
        f"({done.new_observations} new) of {done.truth_events} events "
        f"({done.new_truth_events} new)",
        highlight=False,
    )


def _start(text: str) -> datetime | None:
    """The --start option as an aware datetime (a one-line error and exit otherwise)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"--start {text!r} is not an ISO 8601 date and time (e.g. 2021-01-01T00:00+04:00)")
        return None
    if when.utcoffset() is None:
        fail(f"--start {text!r} needs a UTC offset (e.g. 2021-01-01T00:00+04:00 or ...Z)")
    return when
