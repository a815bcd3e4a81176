"""`vigil user ...` and `vigil token ...`."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, open_database, out
from vigil.domain.roles import Role
from vigil.services import accounts

user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


@user_app.command("add")
@clear_errors
def add(
    name: str = typer.Argument(..., help="User name (lower case)."),
    role: Role = typer.Option(..., help="The user's role."),
    password_stdin: bool = typer.Option(False, help="Read the password from stdin."),
    party: str = typer.Option(None, help="Party code, for a party liaison."),
    display_name: str = typer.Option("", help="Full name."),
) -> None:
    """Add a user. Without a password the account can only use API tokens."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    db = open_database()
    with db.writing() as session:
        accounts.add_user(
            session, cli_operator().actor, name, role.value, password, display_name, party
        )
    out.print(f"user {name} added ({role.value})")


@user_app.command("list")
@clear_errors
def list_() -> None:
    """List users."""
    db = open_database()
    table = Table("user", "role", "name", "disabled")
    with db.reading() as session:
        for u in accounts.list_users(session):
            table.add_row(u.username, u.role, u.display_name, "yes" if u.disabled else "")
    out.print(table)


@user_app.command("disable")
@clear_errors
def disable(name: str = typer.Argument(..., help="User name.")) -> None:
    """Disable a user: sessions end, tokens stop working, history stays."""
    db = open_database()
    with db.writing() as session:
        accounts.disable_user(session, cli_operator().actor, name)
    out.print(f"user {name} disabled")


@token_app.command("create")
@clear_errors
def create(
    name: str = typer.Argument(..., help="The user the token acts as."),
    label: str = typer.Option("", help="What the token is for (e.g. the sensor's name)."),
) -> None:
    """Create a bearer token; it is printed once, alone on the last line."""
    db = open_database()
    with db.writing() as session:
        secret = accounts.create_token(session, cli_operator().actor, name, label)
    out.print(f"token for {name} (store it now, it is not shown again):", highlight=False)
    print(secret)


@token_app.command("list")
@clear_errors
def list_tokens(name: str = typer.Argument(..., help="The user whose tokens to list.")) -> None:
    """List a user's tokens: id, label, created, revoked (never the secrets)."""
    db = open_database()
    table = Table("id", "label", "created", "revoked")
    with db.reading() as session:
        for t in accounts.list_tokens(session, name):
            revoked = t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else ""
            table.add_row(str(t.id), t.label, t.created_at.isoformat(timespec="seconds"), revoked)
    out.print(table)


@token_app.command("revoke")
@clear_errors
def revoke(token_id: int = typer.Argument(..., help="Token id, from `vigil token list`.")) -> None:
    """Revoke a token: it stops working at once."""
    db = open_database()
    with db.writing() as session:
        accounts.revoke_token(session, cli_operator().actor, token_id)
    out.print(f"token {token_id} revoked")


@user_app.command("password")
@clear_errors
def password(
    user: str = typer.Argument(..., help="User name."),
    password_stdin: bool = typer.Option(False, help="Read the password from stdin."),
) -> None:
    """Set a user's password, and with it their HTTP Digest credential; their sessions end."""
    if password_stdin:
        secret = sys.stdin.readline().rstrip("\n")
    else:
        secret = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    db = open_database()
    with db.writing() as session:
        accounts.set_password(session, cli_operator().actor, user, secret)
    out.print(f"password of {user} set (Basic and Digest sign-in)")
