from __future__ import annotations

import click
from flask.cli import AppGroup

from saas.accounts.models import ROLES
from saas.accounts.services import AccountError, create_user
from saas.extensions import db
from saas.tenancy.services import get_tenant

users_cli = AppGroup("users", help="Staff accounts.")


@users_cli.command("create")
@click.option("--tenant", "slug", help="The city's slug; leave out for a platform super-admin.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--email", required=True)
@click.option("--name", default=None, help="Display name (default: the part before @).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
def create_command(slug, role, email, name, password):
    """Create a staff account in a city (--tenant) or a platform super-admin."""
    tenant = None
    if slug:
        tenant = get_tenant(slug)
        if tenant is None:
            raise click.ClickException(f"No city '{slug}'; see `flask --app wsgi tenants list`.")
    try:
        user = create_user(tenant=tenant, role=role, email=email, password=password, name=name)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc))
    db.session.commit()
    where = tenant.slug if tenant else "platform"
    click.echo(f"Created {user.role} {user.email} in {where}.")
