"""`vigil compliance`: the compliance table (each provision's status as a whole and per party,
verified breaches, open flags, evidence), or the API's JSON with --json."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, fail, open_database, out
from vigil.errors import VigilError
from vigil.services import compliance as service
from vigil.web.schemas.compliance import ComplianceOut

compliance_app = typer.Typer()
STYLES = {
    "breached": "bold red",
    "partially": "yellow",
    "unknown": "dim",
    "not_yet_due": "cyan",
    "complied": "green",
}
NOT_BOUND = "-"


@compliance_app.callback(invoke_without_command=True)
@clear_errors
def compliance(
    as_of: str = typer.Option(None, "--as-of", help="The instant, ISO 8601 with offset (now)."),
    window_days: int = typer.Option(
        service.DEFAULT_WINDOW_DAYS,
        "--window-days",
        help="Breaches within this many days before --as-of make a provision breached (1-365).",
    ),
    party: str = typer.Option(None, "--party", help="Only this party's column (a party code)."),
    date_from: str = typer.Option(None, "--from", help="Start of the breach counts (JSON)."),
    date_to: str = typer.Option(None, "--to", help="End of the breach counts (JSON)."),
    as_json: bool = typer.Option(False, "--json", help="Print the API's JSON instead."),
) -> None:
    """Each provision's compliance status, as a whole and per binding party."""
    at, start, end = _time("--as-of", as_of), _time("--from", date_from), _time("--to", date_to)
    if party is not None and not party.strip():
        fail("--party needs a party code", 2)
    db = open_database()
    with db.reading() as session:
        try:
            view = service.compliance(session, cli_operator(), at, window_days, start, end, party)
        except VigilError as exc:  # bad input: say what, exit 2 like a usage error
            fail(exc.detail, 2)
            return
    if as_json:
        print(ComplianceOut.of(view).model_dump_json(by_alias=True, indent=2))
        return
    out.print(_table(view))
    out.print(
        f"as of {view.as_of:%Y-%m-%d %H:%M} UTC; breached = a verified breach in the last "
        f"{view.window_days} day(s); see docs/compliance.md",
        highlight=False,
    )


def _time(option: str, text: str | None) -> datetime | None:
    """An ISO 8601 time with its offset; anything else is bad input (exit 2)."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r} is not an ISO 8601 date and time (e.g. 2020-11-20T00:00+04:00)", 2)
        raise
    if when.utcoffset() is None:
        fail(f"{option} {text!r} needs a UTC offset (e.g. 2020-11-20T00:00+04:00 or ...Z)", 2)
    return when


def _cell(status: str) -> str:
    style = STYLES.get(status, "")
    return f"[{style}]{status}[/{style}]" if style else status


def _table(view: service.ComplianceView) -> Table:
    """One row per provision: number, title, status, one column per party, counts."""
    table = Table("no.", "provision", "status", *view.parties, "verified breaches",
                  "open flags", "evidence", title="Compliance")  # fmt: skip
    for p in view.provisions:
        per_party = [_cell(p.parties[c].status) if c in p.parties else NOT_BOUND
                     for c in view.parties]  # fmt: skip
        counts = (p.counts.verified_breaches, p.counts.open_flags, p.counts.evidence)
        table.add_row(
            p.provision.number,
            p.provision.title,
            _cell(p.overall.status),
            *per_party,
            *(str(n) for n in counts),
        )
    return table
