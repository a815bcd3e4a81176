"""`vigil provisions ...`: the agreement's provisions, their rules, and the flags rules raise."""

from __future__ import annotations

import typer
from rich.table import Table

from vigil.cli.common import (
    clear_errors,
    cli_operator,
    open_database,
    out,
    parse_time,
    progress_bar,
)
from vigil.domain import agreement_rules as ar
from vigil.services import flag_list, provision_flags, provision_rules, reference, review_queue

agreement_app = typer.Typer(no_args_is_help=True)
AS_USER = typer.Option(..., "--as", help="The analyst the change is recorded as.")


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if hasattr(value, "strftime") else "—"


@agreement_app.command("list")
@clear_errors
def list_provisions() -> None:
    """The provisions: binding parties, in force, deadline, zones, rules and flags."""
    db = open_database()
    with db.reading() as session:
        table = Table("no.", "title", "binding", "in force from", "deadline", "zones", "rules",
                      "open", "confirmed")  # fmt: skip
        for p in reference.provisions(session):
            view = provision_rules.provision_view(session, cli_operator(), p.number)
            active = sum(1 for r in view.rules if r.active)
            c = view.counts
            table.add_row(
                p.number, p.title, ", ".join(p.binding), _when(p.in_force_from),
                _when(p.deadline), ", ".join(p.zones), str(active), str(c.get("open", 0)),
                str(c.get("confirmed", 0)),
            )  # fmt: skip
    out.print(table)


@agreement_app.command("show")
@clear_errors
def show(number: str = typer.Argument(..., help="The provision's number.")) -> None:
    """A provision: its text, term, zones and rules."""
    db = open_database()
    with db.reading() as session:
        view = provision_rules.provision_view(session, cli_operator(), number)
        p = view.provision
        out.print(f"[bold]{p.number}. {p.title}[/bold]", highlight=False)
        out.print(p.text, highlight=False)
        until = view.term.in_force_until if view.term else None
        out.print(f"binding: {', '.join(p.binding)}; in force {_when(p.in_force_from)} to "
                  f"{_when(until) if until else 'open-ended'}; deadline {_when(p.deadline)}; "
                  f"zones: {', '.join(p.zones) or '—'}", highlight=False)  # fmt: skip
        table = Table(
            "rule", "effect", "label", "categories", "zones", "after", "parties", "active"
        )
        for r in view.rules:
            zones = ", ".join(r.zones) or "anywhere"
            if r.zone_relation == "within":
                zones = f"within {r.within_km:g} km of {zones}"
            after = _when(r.after_instant) if r.after == "instant" else r.after
            table.add_row(
                str(r.id), r.effect, r.label, ", ".join(r.categories) or "any", zones, after,
                ", ".join(r.parties) or "any", "yes" if r.active else "no",
            )  # fmt: skip
    out.print(table)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(view.counts.items()))
    out.print(f"flags of verified incidents: {counts or 'none'}", highlight=False)


@agreement_app.command("rule-add")
@clear_errors
def rule_add(
    number: str = typer.Argument(..., help="The provision's number."),
    label: str = typer.Option(..., help="What the rule says, for people."),
    effect: str = typer.Option(..., help="breach or compliance."),
    category: list[str] = typer.Option(None, help="A category code (repeat; none: any)."),
    zone: list[str] = typer.Option(None, help="A zone code (repeat; none: anywhere)."),
    zone_relation: str = typer.Option("inside", help="inside or within."),
    within_km: float = typer.Option(None, help="With --zone-relation within: km (0-500]."),
    after: str = typer.Option("in_force", help="in_force, deadline or instant."),
    after_instant: str = typer.Option(None, help="With --after instant: ISO time with zone."),
    party: list[str] = typer.Option(None, help="A party code (repeat; none: any party)."),
    as_user: str = AS_USER,
) -> None:
    """Add a rule to a provision; verified incidents it matches are flagged."""
    instant = parse_time("--after-instant", after_instant) if after_instant else None
    spec = ar.RuleSpec(
        label, effect, tuple(category or ()), tuple(zone or ()), zone_relation, within_km,
        after, instant, tuple(party or ()),
    )  # fmt: skip
    db = open_database()
    with db.writing() as session:
        who = review_queue.acting_user(session, as_user)
        done = provision_rules.add_rule(session, who, number, spec)
        rule_id = done.rule.id
    out.print(f"rule {rule_id} added to provision {number}: "
              f"{done.flags.raised} flag(s) raised", highlight=False)  # fmt: skip


@agreement_app.command("rule-remove")
@clear_errors
def rule_remove(
    number: str = typer.Argument(..., help="The provision's number."),
    rule_id: int = typer.Argument(..., help="The rule."),
    reason: str = typer.Option(..., help="Why the rule is deactivated."),
    as_user: str = AS_USER,
) -> None:
    """Deactivate a rule (kept, never deleted); its open flags are dismissed."""
    db = open_database()
    with db.writing() as session:
        who = review_queue.acting_user(session, as_user)
        done = provision_rules.deactivate_rule(session, who, number, rule_id, reason)
    out.print(f"rule {rule_id} deactivated: {done.flags.dismissed} open flag(s) dismissed",
              highlight=False)  # fmt: skip


@agreement_app.command("flags")
@clear_errors
def flags(
    provision: str = typer.Option(None, help="Only this provision's flags."),
    status: str = typer.Option(None, help="open, confirmed or dismissed."),
    effect: str = typer.Option(None, help="breach or compliance."),
    incident: int = typer.Option(None, help="Only this incident's flags."),
    limit: int = typer.Option(100, min=1, max=1000, help="How many to list."),
) -> None:
    """Flags, oldest raised first."""
    q = flag_list.FlagQuery(provision, status, effect, incident)
    db = open_database()
    with db.reading() as session:
        lines = flag_list.list_flags(session, cli_operator(), q, None, limit)
        table = Table("flag", "incident", "prov.", "effect", "party", "status", "rule", "why")
        for x in lines:
            f = x.flag
            table.add_row(
                str(f.id), str(f.incident_id), x.provision, f.effect, f.party_code or "—", f.status,
                x.rule_label, x.why + (f" — {f.reason}" if f.reason else ""),
            )  # fmt: skip
    out.print(table)
    out.print(f"{len(lines)} flag(s)")


def _decide(flag_id: int, status: str, reason: str, as_user: str) -> None:
    db = open_database()
    with db.writing() as session:
        who = review_queue.acting_user(session, as_user)
        flag = provision_flags.decide_flag(session, who, flag_id, status, reason)
        done = f"flag {flag.id}: {flag.status}"
    out.print(done, highlight=False)


@agreement_app.command("flag-confirm")
@clear_errors
def flag_confirm(
    flag_id: int = typer.Argument(..., help="The flag."),
    reason: str = typer.Option("", help="Why (optional)."),
    as_user: str = AS_USER,
) -> None:
    """Confirm a flag: the incident does breach (or show compliance with) the provision."""
    _decide(flag_id, "confirmed", reason, as_user)


@agreement_app.command("flag-dismiss")
@clear_errors
def flag_dismiss(
    flag_id: int = typer.Argument(..., help="The flag."),
    reason: str = typer.Option(..., help="Why it does not count."),
    as_user: str = AS_USER,
) -> None:
    """Dismiss a flag with a reason."""
    _decide(flag_id, "dismissed", reason, as_user)


@agreement_app.command("scan")
@clear_errors
def scan(
    provision: str = typer.Option(None, help="Only this provision's rules."),
    as_user: str = AS_USER,
) -> None:
    """Re-evaluate every verified incident against the rules (after rules changed)."""
    db = open_database()
    with db.writing() as session:
        who = review_queue.acting_user(session, as_user)
        total = provision_flags.scan_total(session)
        with progress_bar("scan", total) as tick:
            c = provision_flags.scan(session, who, provision, tick)
    out.print(f"{c.incidents} verified incident(s): {c.raised} raised, {c.reopened} reopened, "
              f"{c.dismissed} dismissed, {c.updated} updated", highlight=False)  # fmt: skip
