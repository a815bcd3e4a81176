"""Signing in and out of the web app: cookie sessions with CSRF protection."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.config import Settings
from vigil.services import accounts
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.deps import SESSION_COOKIE, check_csrf, database, public, settings
from vigil.web.pages.render import templates

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "vigil_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only local paths: a login link must not send anyone elsewhere."""
    if (
        target
        and len(target) <= 2000
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return "/map"


def _login_page(request: Request, error: str | None, next_url: str, status: int) -> Response:
    token = secrets.token_urlsafe(24)
    page = templates.TemplateResponse(
        request,
        "login.html",
        {"error": error, "csrf": token, "next": next_url, "who": None},
        status_code=status,
    )
    page.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", path="/login")
    return page


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, next: str | None = None, who: Principal | None = public()
) -> Response:
    """The login page."""
    return _login_page(request, None, _safe_next(next), 200)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/map"),
    who: Principal | None = public(),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """Check the password; on success set the session cookie and go on."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_page(request, "The form expired; please try again.", _safe_next(next), 403)
    if not username or not password or len(username) > 64 or len(password) > 1024:
        message = "Give a user name (at most 64 characters) and a password."
        return _login_page(request, message, _safe_next(next), 400)
    with db.writing() as session:
        done = accounts.login(session, username.strip().lower(), password, cfg.session_hours)
    if done is None:
        return _login_page(request, "Unknown user or wrong password.", _safe_next(next), 401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        done.cookie,
        httponly=True,
        samesite="lax",
        secure=cfg.secure_cookies,
        max_age=cfg.session_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request,
    csrf_token: str = Form("", max_length=100),
    who: Principal | None = public(),
    db: Database = Depends(database),
) -> Response:
    """End the session (the form carries the session's CSRF token)."""
    check_csrf(request, who, csrf_token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with db.writing() as session:
            accounts.logout(session, cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
