from __future__ import annotations

import click
from flask.cli import AppGroup

from saas.stats.services import rebuild
from saas.tenancy.services import get_tenant, list_tenants

stats_cli = AppGroup("stats", help="The per-city, per-day rollups the console compares.")


@stats_cli.command("rebuild")
@click.option("--tenant", "slug", help="Only this city (default: all).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="First local day (default: the city's first event).")
def rebuild_command(slug, since):
    """Recompute the rollups from the raw events."""
    tenants = [get_tenant(slug)] if slug else list_tenants()
    if slug and tenants[0] is None:
        raise click.ClickException(f"No city '{slug}'.")
    for tenant in tenants:
        days = rebuild(tenant, since=since.date() if since else None)
        click.echo(f"{tenant.slug}: {days} day(s) rebuilt")
