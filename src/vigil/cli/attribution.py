"""`vigil attribution ...`: attribute an incident to a party with evidence, withdraw it, show
it, and the lowest confidence the mission's reports show."""

from __future__ import annotations

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, fail, open_database, out
from vigil.domain import attribution as rules
from vigil.services import attribution as service
from vigil.services.review_queue import acting_user

attribution_app = typer.Typer(no_args_is_help=True)
EVIDENCE_HELP = (
    "KIND:NOTE, or observation:ID [NOTE]; repeat for each piece. KIND is one of "
    + ", ".join(rules.EVIDENCE_KINDS)
    + "."
)


@attribution_app.command("set")
@clear_errors
def set_(
    incident_id: int = typer.Argument(..., help="The incident."),
    party: str = typer.Option(..., help="The party's code (from the party table)."),
    confidence: str = typer.Option(..., help="low, medium or high."),
    evidence: list[str] = typer.Option(..., help=EVIDENCE_HELP),
    reason: str = typer.Option("", help="Why, in a sentence (kept in the history)."),
    as_user: str = typer.Option(..., "--as", help="The analyst it is recorded as."),
) -> None:
    """Attribute an incident as it stands now (replacing its attribution, if any)."""
    items = [rules.parse_item(text) for text in evidence]
    db = open_database()
    with db.writing() as session:
        who = acting_user(session, as_user)
        etag = service.attribution_of(session, who, incident_id).etag
        done = service.attribute(session, who, incident_id, party, confidence, items, reason, etag)
        line = _line(done)
    out.print(line, highlight=False, soft_wrap=True)


@attribution_app.command("withdraw")
@clear_errors
def withdraw(
    incident_id: int = typer.Argument(..., help="The incident."),
    reason: str = typer.Option(..., help="Why it is withdrawn (required)."),
    as_user: str = typer.Option(..., "--as", help="The analyst it is recorded as."),
) -> None:
    """Withdraw an incident's attribution; its evidence is kept, marked withdrawn."""
    db = open_database()
    with db.writing() as session:
        who = acting_user(session, as_user)
        etag = service.attribution_of(session, who, incident_id).etag
        service.withdraw(session, who, incident_id, reason, etag)
    out.print(f"incident {incident_id}: attribution withdrawn", highlight=False)


@attribution_app.command("show")
@clear_errors
def show(incident_id: int = typer.Argument(..., help="The incident.")) -> None:
    """An incident's attribution, its evidence and its history."""
    db = open_database()
    with db.reading() as session:
        a = service.attribution_of(session, cli_operator(), incident_id)
        out.print(_line(a), highlight=False, soft_wrap=True)
        evidence = Table("id", "kind", "observation", "own", "note")
        for e in a.evidence:
            own = "" if e.own is None else ("yes" if e.own else "no (another report)")
            obs = str(e.row.observation_id or "")
            evidence.add_row(str(e.row.id), e.label, obs, own, e.row.note)
        history = Table("when (UTC)", "who", "what", "party", "confidence", "reason")
        for h in a.history:
            d = h.details
            cells = (str(d.get("party") or ""), str(d.get("confidence") or ""))
            history.add_row(h.at[:19], h.actor, h.action, *cells, str(d.get("reason") or ""))
    if a.evidence:
        out.print(evidence)
    if a.history:
        out.print(history)


@attribution_app.command("policy")
@clear_errors
def policy(
    set_level: str = typer.Option(None, "--set", help="low, medium or high."),
    as_user: str = typer.Option(None, "--as", help="The head of mission it is recorded as."),
) -> None:
    """Print the lowest attribution confidence reports show, or set it."""
    db = open_database()
    if set_level is None:
        with db.reading() as session:
            level, default = service.get_policy(session, cli_operator())
        out.print(f"reports show attributions of {level} confidence or higher"
                  + (" (the default)" if default else ""), highlight=False)  # fmt: skip
        return
    if not as_user:
        fail("--set needs --as USER (the head of mission)")
    with db.writing() as session:
        level = service.set_policy(session, acting_user(session, as_user), set_level)
    out.print(f"reports now show attributions of {level} confidence or higher", highlight=False)


def _line(a: service.Attribution) -> str:
    if a.party is None:
        return f"incident {a.incident_id}: not attributed"
    shown = "shown in reports" if a.published else f"not shown in reports (below {a.minimum})"
    return (
        f"incident {a.incident_id}: {a.party}, {a.confidence} confidence, {shown}; "
        f"evidence: {a.summary}"
    )
