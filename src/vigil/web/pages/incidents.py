"""The incident page: summary, observations, the explanation of the fusion, a small map."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from vigil.domain.roles import INTERNAL
from vigil.formats import geojson
from vigil.services.access import Principal
from vigil.services.incident_view import IncidentView, incident_view
from vigil.store.db import Database
from vigil.web.deps import allow, database
from vigil.web.pages.attribution_section import attribution_section
from vigil.web.pages.flags_section import flags_section
from vigil.web.pages.render import templates
from vigil.web.pages.review_section import ReviewForm, review_section

router = APIRouter(include_in_schema=False)

# How the explanation's keys read on the page; a key not named here is shown as it is.
LABELS = {
    "association": "Why these reports are one event",
    "location": "How it was located",
    "time": "Time window",
    "other": "Other",
    "reports": "Reports",
    "observers": "Observers",
    "score": "Association score",
    "alternative": "Runner-up grouping",
    "links": "Links between reports (the gates each pair passed)",
    "decisions": "Analyst decisions",
    "kind": "Kind",
    "method": "Method",
    "chi2": "χ²",
    "merge_bonus": "Merge bonus",
    "pinned": "Pinned",
    "dof": "Degrees of freedom",
    "residuals": "Residuals",
    "note": "Note",
    "from": "From",
    "to": "To",
    "a": "Report",
    "b": "Report",
    "client_id": "Report",
    "what": "Measurement",
    "dt_s": "Δt (s)",
    "time_z": "Time z",
    "space": "Space",
    "space_z": "Space z",
    "value": "Residual",
    "unit": "Unit",
    "z": "z",
}
KINDS = {
    "point": "point with a 95 % ellipse",
    "wedge": "wedge: a single bearing without distance",
    "degenerate": "degenerate: near-parallel rays, the ellipse is unreliable",
    "none": "not located",
}
CLIENT_ID_COLUMNS = {"a", "b", "client_id"}


def map_features(view: IncidentView) -> dict[str, Any]:
    """Zones for context, the observers' posts, the observations' rays and the incident."""
    obs = [line.observation for line in view.observations]
    return geojson.collection(
        geojson.zone_features(view.zones)
        + geojson.post_features(view.posts)
        + geojson.observation_features(obs, view.post_codes)
        + geojson.incident_features([view.fused], include_superseded=True),
        start=view.fused.incident.started_at.astimezone(view.timezone).isoformat(),
        incident=view.fused.incident.id,
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(
    request: Request,
    incident_id: int,
    reviewed: str = Query("", max_length=20, description="The status a review just reached."),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> Response:
    """One incident: what, when, where and how sure, its observations, and why."""
    return render_incident(request, who, db, incident_id, ReviewForm(moved=reviewed))


def render_incident(
    request: Request,
    who: Principal,
    db: Database,
    incident_id: int,
    form: ReviewForm,
    status_code: int = 200,
) -> Response:
    """The incident page, with the review form as the analyst left it (and any refusal)."""
    with db.reading() as session:
        view = incident_view(session, who, incident_id)
        context = {
            "who": who,
            "v": view,
            "i": view.fused.incident,
            "fusion": view.fused.fusion,
            "tz": view.timezone,
            "labels": LABELS,
            "kinds": KINDS,
            "client_columns": CLIENT_ID_COLUMNS,
            "anchors": view.client_anchors,
            "features": map_features(view),
            "review": review_section(session, who, view.fused.incident, view.successor, form),
            "attribution": attribution_section(session, who, view.fused.incident),
            "flags": flags_section(session, who, view.fused.incident),
        }
        return templates.TemplateResponse(
            request, "incident.html", context, status_code=status_code
        )
