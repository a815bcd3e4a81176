"""The `vigil` command: set up, load the demo, serve, manage accounts, import, verify."""

from __future__ import annotations

import gc
import sys

import typer

from vigil.cli import accounts, devices, forms, fusion, geography, imports, simulate, stats
from vigil.cli.agreement import agreement_app
from vigil.cli.attribution import attribution_app
from vigil.cli.common import clear_errors, cli_operator, fail, open_database, out, progress_bar
from vigil.cli.compliance import compliance_app
from vigil.cli.hotline import hotline_app
from vigil.cli.patrols import patrols_app
from vigil.cli.restrictions import restrictions_app
from vigil.cli.reviews import review_app
from vigil.cli.safety import safety_app
from vigil.cli.sources import sources_app
from vigil.cli.trackers import trackers_app
from vigil.config import get_settings
from vigil.services import setup
from vigil.services.verify import verify as verify_integrity
from vigil.store.db import Database

app = typer.Typer(
    help="Vigil: information system of a ceasefire monitoring mission.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(accounts.user_app, name="user")
app.add_typer(accounts.token_app, name="token")
app.add_typer(geography.zones_app, name="zones")
app.add_typer(geography.places_app, name="places")
app.command("simulate")(simulate.simulate)
app.command("fuse")(fusion.fuse)
app.add_typer(stats.stats_app, name="stats")
app.add_typer(imports.imports_app, name="observations", help="Import observations from files.")
app.add_typer(forms.forms_app, name="forms", help="The ODK forms phones download.")
app.add_typer(devices.devices_app, name="device", help="Phones' app-user tokens (ODK Collect).")
app.add_typer(review_app, name="review", help="Review incidents: queue, status, policy.")
app.add_typer(sources_app, name="sources", help="Source grading: profiles, confidence.")
app.add_typer(attribution_app, name="attribution", help="Attribute incidents to parties.")
app.add_typer(agreement_app, name="provisions", help="The agreement: provisions, rules, flags.")
app.add_typer(compliance_app, name="compliance", help="Compliance per provision and party.")
app.add_typer(restrictions_app, name="restrictions", help="Restrictions of freedom of movement.")
app.add_typer(patrols_app, name="patrols", help="Patrols: plans, members, vehicles, status.")
app.add_typer(trackers_app, name="trackers", help="Phones that track patrols (Traccar, OsmAnd).")
app.add_typer(safety_app, name="safety", help="Check-ins and safety alarms of patrols.")
app.add_typer(hotline_app, name="hotline", help="The hotline between the parties.")


@app.command()
@clear_errors
def init(
    admin: str = typer.Option("admin", help="User name of the first admin."),
    password_stdin: bool = typer.Option(False, help="Read the admin's password from stdin."),
    demo_if_empty: bool = typer.Option(False, help="Load the demo when no mission exists."),
) -> None:
    """Create or upgrade the database and the first admin (safe to run again)."""
    db = open_database(migrated=False)
    who = cli_operator()
    setup.init_database(db, who)
    out.print(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")
    if demo_if_empty:
        from vigil.services import demo as demo_service

        with db.reading() as session:
            loaded = demo_service.is_loaded(session)
        if not loaded and not setup.has_users(db):
            _load_demo(db, seed=1)
        elif setup.has_user(db, "monitor"):
            _print_demo_accounts()
        return
    if not setup.has_users(db):
        password = sys.stdin.readline().rstrip("\n") if password_stdin else None
        created = setup.create_first_admin(db, who, admin, password)
        out.print(f"first admin: {admin}" + ("" if password_stdin else f" password: {created}"))


def _load_demo(db: Database, seed: int) -> None:
    """Load the demo in one transaction (the simulator is imported only when needed)."""
    from vigil.services import demo as demo_service

    with db.writing() as session, progress_bar("demo", None) as tick:
        if demo_service.is_loaded(session):
            fail("a mission is loaded already; the demo needs an empty database")
        summary = demo_service.load_demo(session, cli_operator(), seed, tick)
    out.print(
        f"demo loaded: {summary.observations} observations of "
        f"{summary.truth_events} simulated events (seed {seed}), "
        f"fused into {summary.incidents} incidents"
    )
    _print_demo_accounts()


def _print_demo_accounts() -> None:
    from vigil.services import demo as demo_service

    accounts = ", ".join(f"{u} ({r})" for u, r, _ in demo_service.demo_accounts())
    out.print(f"demo accounts (password '{demo_service.DEMO_PASSWORD}'): {accounts}")


@app.command()
@clear_errors
def demo(seed: int = typer.Option(1, help="Seed of the simulation: same seed, same data.")) -> None:
    """Load the demo scenario (10 November 2020 statement) into an empty database."""
    db = open_database(migrated=False)
    setup.init_database(db, cli_operator())
    _load_demo(db, seed)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
) -> None:
    """Serve the web app and the API."""
    import uvicorn

    from vigil.web.app import create_app

    open_database()
    app = create_app(get_settings())
    # Everything loaded so far lives as long as the server: keep it out of the garbage
    # collector's full passes, which otherwise walk it and stall long API pages.
    gc.freeze()
    out.print(f"Vigil is at http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    # The app sets Date itself (web/headers.py); uvicorn's own would make it twice.
    uvicorn.run(app, host=host, port=port, log_level="warning", date_header=False)


@app.command()
@clear_errors
def verify() -> None:
    """Check the audit chain, that every stored row matches its audit trail, and that every
    evidence file is still in the store with its bytes unchanged."""
    from vigil.store.blobs import BlobStore

    db = open_database()
    with db.reading() as session, progress_bar("verify", None) as tick:
        verdict = verify_integrity(session, tick, BlobStore.of(get_settings()))
    if verdict.ok:
        out.print(
            f"intact: {verdict.events} audit events, {verdict.rows} rows, "
            f"{verdict.files} evidence files checked"
        )
        return
    for problem in verdict.problems:
        out.print(f"TAMPERED: {problem}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


if __name__ == "__main__":
    app()
