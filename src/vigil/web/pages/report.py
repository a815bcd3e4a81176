"""The monitor's report form: one observation with the phone's location, a compass bearing
and photos, checked by the same rules as the API; refused input comes back with each
message beside its field and nothing stored."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile as ReceivedFile

from vigil.config import Settings
from vigil.domain.roles import REPORTERS
from vigil.errors import FieldError, VigilError
from vigil.services.access import Principal
from vigil.services.evidence import EvidenceRules
from vigil.services.field_report import (
    ReportChoices,
    Reported,
    Upload,
    file_problems,
    report_choices,
    report_observation,
)
from vigil.store.blobs import BlobStore
from vigil.store.db import Database
from vigil.web.deps import allow, check_csrf, database, settings
from vigil.web.pages.render import templates
from vigil.web.pages.report_fields import (
    GENERAL,
    LABELS,
    OBSERVER_KINDS,
    ReportForm,
    by_field,
    north_of,
    to_draft,
)

router = APIRouter(include_in_schema=False)
# What the confirmation says about a file's flags (a flag not named here is shown as it is).
FLAGS = {
    "far_from_report": "taken far from the reported place",
    "time_mismatch": "taken at another time than the reported one",
}
HIDDEN_FIELDS = ("client_id", "tz_offset", "csrf_token", GENERAL)


def _choices(db: Database, who: Principal) -> ReportChoices:
    with db.reading() as session:
        return report_choices(session, who)


def _form_page(
    request: Request,
    who: Principal,
    choices: ReportChoices,
    form: ReportForm,
    errors: list[FieldError] | None = None,
    status: int = 200,
    fresh: bool = False,
    files_sent: int = 0,
) -> Response:
    """The form, empty or with the monitor's values and the messages beside their fields."""
    grouped = by_field(form, errors or [])
    top = [m for name in HIDDEN_FIELDS for m in grouped.get(name, [])]
    context: dict[str, Any] = {
        "who": who,
        "f": form,
        "errors": grouped,
        "top_errors": top,
        "error_count": sum(len(v) for v in grouped.values()),
        "choices": choices,
        "category_groups": category_groups(choices.categories),
        "kinds": OBSERVER_KINDS,
        "labels": LABELS,
        "fresh": fresh,
        "files_sent": files_sent,
        "features": choices.features,
    }
    return templates.TemplateResponse(request, "report.html", context, status_code=status)


def category_groups(
    categories: list[tuple[str, str]],
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The taxonomy as the select shows it: one group per top-level category, holding the
    top-level category itself (for when nothing finer fits) and everything under it."""
    labels = dict(categories)
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, label in categories:
        root = code.split(".")[0]
        groups.setdefault(root, []).append((code, label))
    out = []
    for root, options in groups.items():
        title = labels.get(root, root.replace("_", " ").capitalize())
        if len(options) > 1:
            options = [(c, f"{title}, unspecified" if c == root else lab) for c, lab in options]
        out.append((title, options))
    return out


@router.get("/report", response_class=HTMLResponse)
def report_form(
    request: Request, who: Principal = allow(REPORTERS), db: Database = Depends(database)
) -> Response:
    """An empty form: the time is now, a new client id makes a resend store one report."""
    choices = _choices(db, who)
    now = datetime.now(choices.timezone).replace(second=0, microsecond=0, tzinfo=None)
    form = ReportForm(
        client_id=str(uuid.uuid4()),
        observed_at=now.isoformat(timespec="minutes"),
        csrf_token=who.csrf_token or "",
    )
    return _form_page(request, who, choices, form, fresh=True)


def _uploads(photos: list[UploadFile | str]) -> list[Upload]:
    """The files chosen; an empty file input arrives as a blank text field."""
    return [
        Upload(p.filename or "file", p.file)
        for p in photos
        if isinstance(p, ReceivedFile) and (p.filename or p.size)
    ]


@router.post("/report", response_class=HTMLResponse)
def send_report(
    request: Request,
    form: Annotated[ReportForm, Form()],
    photos: list[UploadFile | str] = File([]),
    who: Principal = allow(REPORTERS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """Store the observation and its files, or show the form again with what is wrong."""
    choices = _choices(db, who)
    uploads = _uploads(photos)
    kept = form.model_copy(update={"csrf_token": who.csrf_token or ""})
    try:
        check_csrf(request, who, form.csrf_token)
    except VigilError as e:
        message = "The form expired or came from elsewhere: check it and send it again."
        refused = [FieldError(GENERAL, message)]
        return _form_page(request, who, choices, kept, refused, e.status, files_sent=len(uploads))
    draft = to_draft(form, choices.timezone)
    if isinstance(draft, list):  # the files are judged too, so every problem shows at once
        errors = draft + file_problems(uploads)
        return _form_page(request, who, choices, kept, errors, 422, files_sent=len(uploads))
    try:
        with db.writing() as session:
            done = report_observation(
                session,
                who,
                draft,
                uploads,
                BlobStore.of(cfg),
                EvidenceRules.of(cfg),
                future_tolerance_s=cfg.future_tolerance_s,
                north=north_of(form),
            )
    except VigilError as e:
        errors = _refusal(e)
        return _form_page(request, who, choices, kept, errors, e.status, files_sent=len(uploads))
    return _done_page(request, who, done)


def _refusal(error: VigilError) -> list[FieldError]:
    """What the service refused, in the form's terms."""
    if error.code == "idempotency_conflict":
        message = (
            "This form was sent before with other values, and that report is stored. "
            "To record another observation, start a new report."
        )
        return [FieldError(GENERAL, message)]
    return error.errors or [FieldError(GENERAL, error.detail)]


def _done_page(request: Request, who: Principal, done: Reported) -> Response:
    """The confirmation: the observation's number, its files' flags, where to go next."""
    context = {"who": who, "done": done, "flags": FLAGS}
    return templates.TemplateResponse(
        request, "report_done.html", context, status_code=201 if done.created else 200
    )
