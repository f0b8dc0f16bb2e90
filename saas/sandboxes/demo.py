"""``flask --app wsgi demo``: a working Antar on a bare machine, with every city and role."""
from __future__ import annotations

import errno
import os
import secrets
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import _

from saas.accounts.models import TENANT_ROLES
from saas.accounts.services import create_user, find_user
from saas.config import PROJECT_ROOT
from saas.extensions import db
from saas.jobs import runtime
from saas.tenancy.services import list_tenants, sync_tenants

#: Where the app keeps how far the demo's history has come (see ``history_notice``).
HISTORY_PROGRESS = "antar.demo_history"


@dataclass
class HistoryProgress:
    """The older history being made in the background while the demo already serves."""
    cities: int
    done: list[str] = field(default_factory=list)
    finished: bool = False
    failed: str | None = None


def history_notice() -> dict:
    """Every page says so while the history is still being made: its figures are not complete yet."""
    progress: HistoryProgress | None = current_app.extensions.get(HISTORY_PROGRESS)
    if progress is None or progress.finished:
        return {}
    if progress.failed:
        text = _("The demo's history stopped half-way (%(error)s); start the demo again to finish it.",
                 error=progress.failed)
    else:
        text = _("The demo's history is still being made (%(done)s of %(cities)s cities): lists and "
                 "figures, the comparison of cities too, fill in as it goes.",
                 done=len(progress.done), cities=progress.cities)
    return {"demo_history_notice": text}


def _recent_history() -> None:
    from saas.sandboxes.demo_history import RECENT_DAYS, fill_recent

    made = fill_recent()
    if made:
        click.echo(f"\nDemo history: the last {RECENT_DAYS} days of {', '.join(made)}.")


def make_older_history(app: Flask) -> None:
    """The older days and the rollups, in this thread, reporting to the pages as each city is done."""
    from saas.sandboxes.demo_history import fill_older

    progress = app.extensions[HISTORY_PROGRESS]
    with app.app_context():
        try:
            fill_older(progress=lambda slug, count, days: progress.done.append(slug))
        except Exception as error:  # the demo keeps serving; the pages and the console say what happened
            db.session.rollback()
            progress.failed = type(error).__name__
            click.echo(f"Demo history stopped: {error!r}. Start the demo again to finish it.", err=True)
            raise
        finally:
            db.session.remove()
        progress.finished = True
        click.echo("Demo history: complete, every city's figures are in the console.")


def _older_history_in_background(app: Flask) -> threading.Thread | None:
    from saas.sandboxes.demo_history import DAYS

    app.extensions[HISTORY_PROGRESS] = HistoryProgress(cities=len(list_tenants()))
    app.config["CITY_PAGE_CACHE"] = False  # every page says how far the history is: none is kept
    thread = threading.Thread(target=make_older_history, args=(app,), name="demo-history", daemon=True)
    thread.start()
    click.echo(f"Demo history: the older days (to {DAYS} days back) are being made while the demo serves;"
               " the pages say so until it is done.")
    return thread


def _older_history_now() -> None:
    from saas.sandboxes.demo_history import DAYS, fill_older

    click.echo(f"\nDemo history: the older days (to {DAYS} days back):")
    if not fill_older(progress=lambda slug, count, days: click.echo(
            f"  {slug}: {count:,} documents, {days} days of figures")):
        click.echo("  already there")


#: Demo data made before serving, in order: callables taking no argument, each reusing what an
#: earlier run made. The older history follows (in the background when serving).
DEMO_STEPS: list = [_recent_history]


def port_refusal(host: str, port: int) -> str | None:
    """Why the demo could not serve on host:port, said before it makes anything; None when it can."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
            probe.bind((host, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return (f"Port {port} on {host} is already taken (another demo or server is running there). "
                    f"Stop it, or choose a free port: flask --app wsgi demo --port {port + 1}")
        return f"Cannot serve on {host}:{port}: {error.strerror or error}"
    return None


def sample_link() -> str | None:
    """A signed link to one of Balikpapan's ready documents, as the citizen's message carries."""
    import sqlalchemy as sa

    from saas.documents.links import document_link
    from saas.documents.models import Document
    from saas.tenancy.scope import tenant_bound
    from saas.tenancy.services import get_tenant

    tenant = get_tenant("balikpapan")
    if tenant is None:
        return None
    with tenant_bound(tenant):
        document = db.session.scalar(sa.select(Document).where(Document.status == "ready")
                                     .order_by(Document.id.desc()).limit(1))
        return document_link(document, tenant) if document else None


def _credentials_file() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "demo-accounts.txt"


def ensure_demo_accounts() -> list[tuple[str, str, str, str]]:
    """One account per role per city and a super-admin; returns only those made now."""
    made = []
    wanted = [(None, "superadmin", "superadmin@antar.test")]
    for tenant in list_tenants():
        for role in TENANT_ROLES:
            wanted.append((tenant, role, f"{role}@{tenant.slug}.antar.test"))
    for tenant, role, email in wanted:
        if find_user(tenant, email):
            continue
        password = secrets.token_urlsafe(9)
        create_user(tenant=tenant, role=role, email=email, password=password,
                    name=f"{role.title()} {tenant.city_name if tenant else 'Antar'}")
        made.append((tenant.slug if tenant else "platform", role, email, password))
    db.session.commit()
    return made


def _save_credentials(made, base_url: str) -> None:
    path = _credentials_file()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as fh:
        for scope, role, email, password in made:
            login = f"{base_url}/admin/login" if scope == "platform" else f"{base_url}/{scope}/office/login"
            fh.write(f"{scope:<20} {role:<11} {email:<40} {password:<14} {login}\n")


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="Prepare everything, then exit.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def demo_command(no_serve: bool, host: str, port: int):
    """Create the database, sync tenants/, make demo accounts and data, then serve."""
    app = current_app._get_current_object()
    refusal = port_refusal(host, port)
    if refusal:
        raise click.ClickException(refusal)
    browse_host = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):  # listening everywhere: this machine reaches it as localhost
        browse_host = "127.0.0.1"
    base_url = f"http://{browse_host}:{port}"
    app.config["PUBLIC_BASE_URL"] = os.environ.get("ANTAR_PUBLIC_BASE_URL", base_url)
    from flask_migrate import upgrade  # Alembic is a second of imports a web worker never needs

    upgrade(directory=str(PROJECT_ROOT / "migrations"))
    for line in sync_tenants(Path(app.config["TENANTS_DIR"])):
        click.echo(line)
    made = ensure_demo_accounts()
    for step in DEMO_STEPS:
        step()
    if made:
        _save_credentials(made, base_url)
        click.echo("\nDemo accounts (shown once; kept in instance/demo-accounts.txt):")
        for scope, role, email, password in made:
            click.echo(f"  {scope:<18} {role:<11} {email:<40} {password}")
    else:
        click.echo(f"\nDemo accounts already exist; their passwords are in {_credentials_file()}.")
    click.echo("\nOpen:")
    click.echo(f"  {base_url}/                      the participating cities")
    click.echo(f"  {base_url}/balikpapan/           Balikpapan's citizen portal")
    click.echo(f"  {base_url}/balikpapan/office/    Balikpapan's office (sign in as operator@balikpapan.antar.test)")
    click.echo(f"  {base_url}/admin/                the platform console (superadmin@antar.test)")
    click.echo(f"  {base_url}/sandbox/inbox         the messages citizens received, as their phone shows them")
    click.echo(f"  {base_url}/sandbox/gosend/       play the Go-Send driver")
    link = sample_link()
    if link:
        click.echo(f"\nA citizen's link, as their WhatsApp message carries it:\n  {link}")
    if no_serve:
        _older_history_now()
        return
    runtime(app).ensure_embedded_worker()
    _older_history_in_background(app)
    from werkzeug.serving import run_simple

    click.echo(f"\nServing on {base_url}/ (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=False)
