"""``flask --app wsgi demo``: a working Antar on a bare machine, with every city and role."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from saas.accounts.models import TENANT_ROLES
from saas.accounts.services import create_user, find_user
from saas.config import PROJECT_ROOT
from saas.extensions import db
from saas.jobs import runtime
from saas.tenancy.services import list_tenants, sync_tenants

def _history() -> None:
    from saas.sandboxes.demo_history import fill_history

    click.echo("\nDemo history (made on the first run only; about a minute):")
    if not fill_history():
        click.echo("  already there")


#: Demo data, in order: callables taking no argument, each reusing what an earlier run made.
DEMO_STEPS: list = [_history]


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
    base_url = f"http://{host}:{port}"
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
    click.echo(f"  {base_url}/sandbox/messages      what the message gateways received; /sandbox/gosend/ to play the driver")
    link = sample_link()
    if link:
        click.echo(f"\nA citizen's link, as their WhatsApp message carries it:\n  {link}")
    if no_serve:
        return
    runtime(app).ensure_embedded_worker()
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False)
