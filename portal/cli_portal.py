"""`pcf db ...`, `pcf demo`, `pcf serve`, `pcf i18n compile`, `pcf labels expire`,
`pcf trust export`: running the portal."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask

from portal import create_app
from portal.migrate import downgrade, upgrade
from portal.settings import Settings


def command_app() -> Flask:
    """The portal for one command: its job thread stopped and its database connections
    closed when the command ends (an engine left to the garbage collector leaves them
    open)."""
    app = create_app()

    def close() -> None:
        from portal.jobs import shutdown  # noqa: PLC0415

        shutdown(app)
        app.extensions["pcf_db"].engine.dispose()

    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(close)
    return app


@click.group("db")
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION on DATABASE_URL (default: the SQLite file)."""
    url = Settings.from_env().resolved().database_url
    upgrade(url, revision)
    click.echo(f"database at revision {revision}: {_redacted(url)}")


@db.command("downgrade")
@click.option("--revision", default="-1", show_default=True)
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION."""
    url = Settings.from_env().resolved().database_url
    downgrade(url, revision)
    click.echo(f"database downgraded to {revision}: {_redacted(url)}")


def _redacted(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@click.command("demo")
@click.option("--reset-passwords", is_flag=True, help="Give existing demo users new passwords.")
def demo(reset_passwords: bool) -> None:
    """Create demo organisations and logins (migrating the database first)."""
    from portal.services.demo import ensure_demo  # noqa: PLC0415
    from portal.services.demo_product import ensure_demo_product  # noqa: PLC0415

    app = command_app()
    settings = app.extensions["pcf_settings"]
    upgrade(settings.database_url)
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        logins = ensure_demo(session, reset_passwords=reset_passwords)
        product = ensure_demo_product(session)
    click.echo("Demo logins / 演示账户:")
    for login in logins:
        password = login.password or "(unchanged; pcf demo --reset-passwords)"
        click.echo(f"  {login.email:<24} {password:<40} {login.organisation}")
    if product is not None:
        click.echo(f"Demo product / 演示产品: {product.name} (/products/{product.id})")
    from portal.services.trust_list import operator_signer  # noqa: PLC0415

    click.echo("Trust-list operator key / 信任列表运营方密钥: "
               f"{operator_signer(settings.instance_path).kid}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn.")
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Serve the portal with gunicorn (production) or Flask (--dev)."""
    if dev:
        create_app({"session_cookie_secure": False}).run(host=host, port=port, debug=True)
        return
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "--workers", str(workers),
                               "--bind", f"{host}:{port}", "portal.wsgi:app"])


@click.group("i18n")
def i18n() -> None:
    """Translation catalogues."""


@i18n.command("compile")
def i18n_compile() -> None:
    """Compile the .po catalogues to .mo."""
    from portal.i18n import compile_catalogues  # noqa: PLC0415

    for path in compile_catalogues():
        click.echo(f"wrote {path}")


@click.group("labels")
def labels() -> None:
    """Carbon labels kept by the portal."""


@labels.command("expire")
def labels_expire() -> None:
    """Mark labels whose validity has ended as expired (run daily, e.g. from cron)."""
    from portal.services.labels import expire_due  # noqa: PLC0415

    app = command_app()
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        expired = expire_due(session)
        names = [f"{label.gtin or '-'}/{label.serial} {label.jti}" for label in expired]
    for name in names:
        click.echo(f"expired: {name}")
    click.echo(f"{len(names)} label(s) expired")


@click.group("accounts")
def accounts_group() -> None:
    """User accounts: unlock after failed logins, set a password."""


@accounts_group.command("unlock")
@click.argument("email")
def accounts_unlock(email: str) -> None:
    """Forget EMAIL's failed logins, so the account may log in again at once."""
    app = command_app()
    throttle = app.extensions["pcf_login_throttle"]
    throttle.clear(email)
    if throttle.shared:
        click.echo(f"unlocked {email.strip().lower()} ({_redacted(throttle.storage_url)})")
    else:
        click.echo(f"{email.strip().lower()}: failed logins are counted in each portal "
                   f"process's memory (no PCF_RATELIMIT_STORAGE_URL or Redis broker set), "
                   f"which this command cannot reach: the lockout ends with its window or "
                   f"when the portal restarts.", err=True)
        sys.exit(1)


@accounts_group.command("set-password")
@click.argument("email")
@click.password_option("--password", prompt="New password",
                       help="The new password (asked for when not given).")
def accounts_set_password(email: str, password: str) -> None:
    """Give EMAIL a new password (at least 12 characters) and end all its sessions."""
    from sqlalchemy import func, select  # noqa: PLC0415

    from portal.db.models import User  # noqa: PLC0415
    from portal.services import accounts  # noqa: PLC0415
    from portal.services.errors import ServiceError  # noqa: PLC0415

    app = command_app()
    try:
        with app.extensions["pcf_db"].unit_of_work() as session:
            user = session.scalar(select(User).where(
                func.lower(User.email) == email.strip().lower()))
            if user is None:
                raise click.ClickException(f"no user with e-mail {email}")
            accounts.set_password(session, user=user, password=password, actor=None)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    app.extensions["pcf_login_throttle"].clear(email)
    click.echo(f"new password set for {email.strip().lower()}; its sessions have ended")


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs."""


@jobs_group.command("recover")
def jobs_recover() -> None:
    """Requeue (or fail, past PCF_JOB_MAX_ATTEMPTS) jobs whose runner stopped."""
    from portal.jobs import recover_stalled, shutdown  # noqa: PLC0415

    app = command_app()
    recovered = recover_stalled(app)
    shutdown(app)  # in-process mode: requeued jobs run here before the command returns
    for job_id in recovered:
        click.echo(f"recovered: {job_id}")
    click.echo(f"{len(recovered)} stalled job(s) recovered")


@click.group("trust")
def trust() -> None:
    """The operator's signed trust list of certification bodies' keys."""


@trust.command("export")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
def trust_export(path: Path) -> None:
    """Write the current signed trust list to FILE (e.g. portal/trust/trust-list.jwt before
    building the package that ships `pcf verify`) and print the operator key's thumbprint,
    which verifiers pass as --trust-anchor and which must be published out of band."""
    from portal.services import trust_list  # noqa: PLC0415

    app = command_app()
    settings = app.extensions["pcf_settings"]
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        signed = trust_list.current(session, host=settings.public_host,
                                    instance=settings.instance_path)
    try:
        path.write_text(signed.token + "\n", encoding="ascii")
    except OSError as exc:
        click.echo(f"Error: {path}: cannot write the trust list: {exc.strerror}", err=True)
        sys.exit(2)
    content = signed.trust_list
    keys = sum(len(issuer.keys) for issuer in content.issuers)
    click.echo(f"wrote {path}: {signed.describe()}; "
               f"{len(content.issuers)} certification bod(ies), {keys} key(s)")
    click.echo(f"Operator key thumbprint (publish it out of band): {signed.signed_by}")
    click.echo("Verifiers pin it with: pcf verify --update-trust "
               f"https://{settings.public_host}/trust-list.jwt --trust-anchor {signed.signed_by}")
