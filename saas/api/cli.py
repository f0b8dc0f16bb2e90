from __future__ import annotations

import click
from flask.cli import AppGroup

from saas.api.services import create_token
from saas.extensions import db
from saas.tenancy.services import get_tenant

tokens_cli = AppGroup("tokens", help="API tokens.")


@tokens_cli.command("create")
@click.option("--tenant", "slug", help="A city's token, for /api/v1/<slug>/…")
@click.option("--platform", is_flag=True, help="A platform token, for /api/v1/admin/…")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--kind", default="live", show_default=True,
              help="live, or test: a test token's documents are test data, never messaged nor sent by courier.")
def create_command(slug, platform, name, kind):
    """Create a token; it is printed once, alone on the last line."""
    if bool(slug) == bool(platform):
        raise click.UsageError("Give exactly one of --tenant SLUG or --platform.")
    tenant = None
    if slug:
        tenant = get_tenant(slug)
        if tenant is None:
            raise click.ClickException(f"No city '{slug}'.")
    try:
        token, raw = create_token(tenant=tenant, name=name, kind=kind)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    db.session.commit()
    scope = f"city {tenant.slug}" if tenant else "the platform"
    click.echo(f"{token.kind.capitalize()} token '{token.name}' for {scope}; keep it now, it is not shown again:")
    click.echo(raw)
