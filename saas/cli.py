"""Commands that belong to the platform as a whole: the worker, the jobs self-check, the demo."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from saas.jobs import QUEUE_NAMES, run_worker, runtime, selfcheck


@click.command("worker")
@click.option("--queues", "-q", multiple=True, type=click.Choice(QUEUE_NAMES),
              help="Queues to work, most urgent first (default: all).")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.option("--no-cron", is_flag=True, help="Never take the periodic-jobs lead.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
@click.option("--fork", is_flag=True, help="Fork a fresh process per job (RQ's classic worker).")
@with_appcontext
def worker_command(queues, burst, no_cron, name, fork):
    """Run an RQ worker with the app context, a thread moving delayed jobs, and the periodic jobs."""
    app = current_app._get_current_object()
    if runtime(app).embedded:
        click.echo("No REDIS_URL: working the embedded queue of this process only.", err=True)
    ok = run_worker(app, list(queues) or list(QUEUE_NAMES), burst=burst, with_cron=not no_cron,
                    name=name, fork=fork)
    raise SystemExit(0 if ok or burst else 1)


jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("selfcheck")
@click.option("--timeout", default=30, show_default=True, help="Seconds to wait for a worker.")
def selfcheck_command(timeout):
    """Enqueue a check job and wait for a worker to answer it."""
    import secrets
    import time

    marker = secrets.token_hex(4)
    job_runtime = runtime()
    job = job_runtime.enqueue(selfcheck, marker, queue="default", result_ttl=300)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = job.get_status(refresh=True)
        if status and status.value == "finished":
            click.echo(f"A worker answered: {job.return_value()}")
            return
        if status and status.value == "failed":
            raise click.ClickException("The check job failed; see the worker's log.")
        time.sleep(0.2)
    raise click.ClickException(f"No worker answered within {timeout} s: is `flask --app wsgi worker` running?")
