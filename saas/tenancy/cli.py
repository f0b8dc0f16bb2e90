from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from saas.tenancy.services import TenantFileError, list_tenants, sync_tenants

tenants_cli = AppGroup("tenants", help="City tenants, from tenants/<slug>/tenant.toml.")


@tenants_cli.command("sync")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of <slug>/tenant.toml (default: the project's tenants/).")
def sync_command(directory: Path | None):
    """Check every tenant file, then create or update the cities (all or nothing)."""
    directory = directory or Path(current_app.config["TENANTS_DIR"])
    try:
        report = sync_tenants(directory)
    except TenantFileError as exc:
        click.echo(f"Refused: {len(exc.problems)} problem(s); nothing was written.", err=True)
        for file, field, why in exc.problems:
            click.echo(f"  {file}: {field}: {why}", err=True)
        raise SystemExit(1)
    for line in report:
        click.echo(line)
    if not any(line.startswith(("created", "updated")) for line in report):
        click.echo("No changes.")


@tenants_cli.command("list")
def list_command():
    """Print the cities with their status."""
    rows = list_tenants()
    if not rows:
        click.echo("No tenants yet: run `flask --app wsgi tenants sync`.")
        return
    click.echo(f"{'slug':<20} {'region':<7} {'timezone':<15} {'status':<10} {'go-live':<11} name")
    for t in rows:
        go_live = t.go_live_date.isoformat() if t.go_live_date else "-"
        click.echo(f"{t.slug:<20} {t.region_code:<7} {t.timezone:<15} {t.status:<10} {go_live:<11} {t.name}")
