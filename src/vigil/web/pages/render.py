"""Jinja2 templates for the pages, where their static files live, and the filters that
write numbers, times and free-form values the same way on every page."""

from __future__ import annotations

import math
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))
DASH = "—"


def num(value: Any, digits: int = 1) -> str:
    """A number for people: rounded floats, whole numbers as they are, a dash for none."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}" if math.isfinite(value) else str(value)
    return str(value)


def when(value: datetime | None, tz: tzinfo | None = None, seconds: bool = False) -> str:
    """A time in the mission's zone, e.g. 2020-11-12 14:05 +04."""
    if value is None:
        return DASH
    local = value.astimezone(tz) if tz is not None else value
    offset = local.strftime("%z")  # +0400 -> +04, +0530 -> +0530
    zone = "UTC" if offset in ("", "+0000") else offset[:3] + offset[3:].replace("00", "")
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" {zone}"


def anything(value: Any, tz: tzinfo | None = None) -> str:
    """Any JSON value an explanation may hold, readable: ISO times in mission time, lists and
    objects spelled out, so a key fusion adds later still shows up sensibly."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value) if len(value) >= 19 and value[4] == "-" else None
        except ValueError:
            parsed = None
        return when(parsed, tz, seconds=True) if parsed and parsed.tzinfo else value
    if isinstance(value, float):
        return num(value, 2)
    if isinstance(value, list):
        return ", ".join(anything(v, tz) for v in value) if value else DASH
    if isinstance(value, dict):
        return "; ".join(f"{k}: {anything(v, tz)}" for k, v in value.items()) or DASH
    return num(value)


def percent(p: float | None) -> str:
    """A probability as a percentage that never rounds "almost sure" up to 100 %."""
    if not isinstance(p, int | float) or isinstance(p, bool):
        return DASH
    shown = f"{p * 100:.1f}"
    return "> 99.9 %" if p < 1 and shown == "100.0" else f"{shown} %"


def metres(value: float | None) -> str:
    """A distance: metres below 10 km, kilometres with one decimal above."""
    if value is None:
        return DASH
    return f"{value:.0f} m" if abs(value) < 10_000 else f"{value / 1000:.1f} km"


def private_page(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """A page holding secrets or an admin's state (a phone's token, form versions): never
    kept by a browser or a proxy."""
    page = templates.TemplateResponse(request, template, context, status_code=status)
    page.headers["Cache-Control"] = "no-store"
    return page


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    """A page that says what went wrong (pages answer people, not programs)."""
    return templates.TemplateResponse(
        request,
        "error.html",
        {"who": None, "status": status, "title": title, "detail": detail},
        status_code=status,
    )


templates.env.filters.update(num=num, when=when, anything=anything, metres=metres, percent=percent)
