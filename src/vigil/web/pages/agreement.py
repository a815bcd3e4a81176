"""The agreement's pages: the provisions, one provision with its rules and flags, one flag.
Analysts add and deactivate rules and confirm or dismiss flags here and on the incident page;
every write goes through services.provision_rules / provision_flags, so a refusal changes
nothing and the page says why, next to the field."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from vigil.domain import agreement_rules as ar
from vigil.domain.roles import ANALYSTS, INTERNAL
from vigil.errors import VigilError, invalid
from vigil.services import flag_list, provision_flags, provision_rules, reference
from vigil.services.access import Principal
from vigil.services.map import mission_zone
from vigil.store.db import Database
from vigil.web.deps import allow, check_csrf, database
from vigil.web.pages.render import templates

router = APIRouter(include_in_schema=False)
FLAGS_SHOWN = 500


@dataclass(frozen=True)
class RuleForm:
    """What the analyst sent with the rule form (kept when the page comes back)."""

    label: str = ""
    effect: str = "breach"
    categories: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    zone_relation: str = "inside"
    within_km: str = ""
    after: str = "in_force"
    after_instant: str = ""
    parties: tuple[str, ...] = ()
    error: VigilError | None = None

    @property
    def errors(self) -> dict[str, str]:
        """Field -> message, to show next to each field."""
        if self.error is None:
            return {}
        return {e.field: e.message for e in self.error.errors} or {"": self.error.detail}

    def spec(self) -> ar.RuleSpec:
        """The rule to add (a number or time that does not parse is refused by field)."""
        return ar.RuleSpec(
            self.label, self.effect, self.categories, self.zones, self.zone_relation,
            _km(self.within_km), self.after, _instant(self.after_instant), self.parties,
        )  # fmt: skip


def _km(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise invalid("within_km", "a number of km") from exc


def _instant(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise invalid("after_instant", "an ISO 8601 time with its zone") from exc


@dataclass(frozen=True)
class PageState:
    """Forms and messages the provision page shows besides its data."""

    rule: RuleForm = field(default_factory=RuleForm)
    off_rule: int | None = None  # the rule whose deactivation was refused
    off_error: VigilError | None = None
    message: str = ""


def _choices(session: Session, who: Principal) -> dict[str, Any]:
    return {
        "categories": [c.code for c in reference.categories(session, who)],
        "zone_types": provision_rules.known(session).zones,
        "parties": [p.code for p in reference.parties(session)],
    }


@router.get("/provisions", response_class=HTMLResponse)
def provisions_page(
    request: Request, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> Response:
    """Every provision: binding parties, in force, deadline, zones, rules and flags."""
    with db.reading() as session:
        views = [
            provision_rules.provision_view(session, who, p.number)
            for p in reference.provisions(session)
        ]
        context = {"who": who, "views": views, "tz": mission_zone(session)}
        return templates.TemplateResponse(request, "provisions.html", context)


def render_provision(
    request: Request,
    who: Principal,
    db: Database,
    number: str,
    state: PageState,
    status: int = 200,
) -> Response:
    """One provision, its rules and flags, with the forms as the analyst left them."""
    with db.reading() as session:
        view = provision_rules.provision_view(session, who, number)
        q = flag_list.FlagQuery(provision=number)
        context = {
            "who": who,
            "v": view,
            "p": view.provision,
            "tz": mission_zone(session),
            "flags": flag_list.list_flags(session, who, q, None, FLAGS_SHOWN),
            "can_act": who.role in ANALYSTS,
            "state": state,
            "f": state.rule,
            "effects": ar.EFFECTS,
            "relations": ar.RELATIONS,
            "afters": ar.AFTER,
            "back": f"/provisions/{number}",
            **_choices(session, who),
        }
        return templates.TemplateResponse(request, "provision.html", context, status_code=status)


@router.get("/provisions/{number}", response_class=HTMLResponse)
def provision_page(
    request: Request,
    number: str,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> Response:
    """One provision: text, term, zones, rules and the flags they raised."""
    q = request.query_params
    message = {"added": "Rule {} added.", "off": "Rule {} deactivated."}
    shown = next((message[k].format(q[k][:12]) for k in message if q.get(k, "").isdigit()), "")
    return render_provision(request, who, db, number, PageState(message=shown))


@router.post("/provisions/{number}/rules", response_class=HTMLResponse)
def add_rule(
    request: Request,
    number: str,
    label: str = Form(""),
    effect: str = Form(""),
    categories: list[str] = Form([]),
    zones: list[str] = Form([]),
    zone_relation: str = Form("inside"),
    within_km: str = Form(""),
    after: str = Form("in_force"),
    after_instant: str = Form(""),
    parties: list[str] = Form([]),
    csrf_token: str = Form(""),
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> Response:
    """Add a rule from the form; a refusal shows the page with the message by the field."""
    check_csrf(request, who, csrf_token)
    form = RuleForm(
        label[:300], effect[:16], tuple(c[:100] for c in categories[:50]),
        tuple(z[:64] for z in zones[:50]), zone_relation[:16], within_km[:32], after[:16],
        after_instant[:64], tuple(p[:16] for p in parties[:20]),
    )  # fmt: skip
    try:
        with db.writing() as session:
            done = provision_rules.add_rule(session, who, number, form.spec())
            rule_id = done.rule.id
    except VigilError as exc:
        if exc.code == "not_found":
            raise
        state = PageState(rule=replace(form, error=exc))
        return render_provision(request, who, db, number, state, exc.status)
    return RedirectResponse(f"/provisions/{number}?added={rule_id}#rules", status_code=303)


@router.post("/provisions/{number}/rules/{rule_id}/deactivate", response_class=HTMLResponse)
def deactivate_rule(
    request: Request,
    number: str,
    rule_id: int,
    reason: str = Form(""),
    csrf_token: str = Form(""),
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> Response:
    """Deactivate a rule with a reason (kept, never deleted); its open flags are dismissed."""
    check_csrf(request, who, csrf_token)
    try:
        with db.writing() as session:
            provision_rules.deactivate_rule(session, who, number, rule_id, reason[:2000])
    except VigilError as exc:
        if exc.code == "not_found":
            raise
        state = PageState(off_rule=rule_id, off_error=exc)
        return render_provision(request, who, db, number, state, exc.status)
    return RedirectResponse(f"/provisions/{number}?off={rule_id}#rules", status_code=303)


def _local(back: str, fallback: str) -> str:
    """Where to go after a decision: a path on this site only."""
    ok = back.startswith("/") and not back.startswith("//") and "\\" not in back
    return back[:300] if ok else fallback


def render_flag(
    request: Request,
    who: Principal,
    db: Database,
    flag_id: int,
    back: str = "",
    error: VigilError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    """One flag with its decision form (and the refusal, next to the field)."""
    with db.reading() as session:
        line = flag_list.flag_line(session, who, flag_id)
        errors = {e.field: e.message for e in error.errors} if error else {}
        context = {
            "who": who,
            "x": line,
            "tz": mission_zone(session),
            "can_act": who.role in ANALYSTS,
            "back": _local(back, f"/incidents/{line.flag.incident_id}#flags"),
            "error": error,
            "errors": errors,
            "form": form or {"status": "", "reason": ""},
        }
        status = error.status if error else 200
        return templates.TemplateResponse(request, "flag.html", context, status_code=status)


@router.get("/flags/{flag_id}", response_class=HTMLResponse)
def flag_page(
    request: Request,
    flag_id: int,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> Response:
    """One flag: the incident, the provision, the rule, why it matched, and the ruling."""
    return render_flag(request, who, db, flag_id)


@router.post("/flags/{flag_id}/decision", response_class=HTMLResponse)
def decide_flag(
    request: Request,
    flag_id: int,
    status: str = Form(""),
    reason: str = Form(""),
    back: str = Form(""),
    csrf_token: str = Form(""),
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> Response:
    """Confirm or dismiss a flag, then go back where the analyst came from."""
    check_csrf(request, who, csrf_token)
    try:
        with db.writing() as session:
            flag = provision_flags.decide_flag(session, who, flag_id, status[:16], reason[:2000])
            incident_id = flag.incident_id
    except VigilError as exc:
        if exc.code == "not_found":
            raise
        form = {"status": status[:16], "reason": reason[:2000]}
        return render_flag(request, who, db, flag_id, back, exc, form)
    return RedirectResponse(_local(back, f"/incidents/{incident_id}#flags"), status_code=303)
