"""The portal: a Flask app factory, one blueprint per feature, services owning transactions.

`create_app()` builds everything from `Settings` (environment variables, or a test config);
importing this package does no I/O and opens no connection.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_babel import get_locale
from flask_smorest import Api

from portal.crypto import Vault, load_master_key
from portal.db.session import Database
from portal.extensions import babel, csrf, limiter
from portal.settings import Settings

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; "
                                "style-src 'self'; script-src 'self'; "
                                "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the portal. *test_config* overrides settings fields (e.g. database_url)."""
    settings = Settings.from_env(**(test_config or {})).resolved()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_TRANSLATION_DIRECTORIES="translations",
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_url,
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        TESTING=settings.testing,
        WTF_CSRF_TIME_LIMIT=None,
        API_TITLE="PCF portal API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.extensions["pcf_settings"] = settings
    app.extensions["pcf_db"] = Database(settings.database_url)
    app.extensions["pcf_vault"] = Vault(load_master_key(settings.master_key,
                                                        settings.instance_path))

    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=lambda: _select_locale(settings))

    from portal.blueprints import (  # noqa: PLC0415  (blueprints import services)
        auth,
        certification,
        grading,
        home,
        products,
        publishing,
        verify,
        wellknown,
    )

    navigation: list[tuple[str, str, tuple[Any, ...]]] = []
    for module in (auth, home, publishing, products, certification, grading, wellknown,
                   verify):
        app.register_blueprint(module.blueprint)
        navigation.extend(getattr(module, "NAV", []))
    from portal.blueprints import api, api_products  # noqa: PLC0415

    rest = Api(app)
    rest.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    rest.spec.options["security"] = [{"bearer": []}]
    for module in (api, api_products):
        csrf.exempt(module.blueprint)
        rest.register_blueprint(module.blueprint)

    @app.before_request
    def _load_user() -> None:
        from portal.blueprints.auth import load_current_user  # noqa: PLC0415

        load_current_user()

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    @app.context_processor
    def _globals() -> dict[str, Any]:
        user = g.get("user")
        items = [(endpoint, label) for endpoint, label, kinds in navigation
                 if user is not None and (not kinds or user.organisation.kind in kinds)]
        return {"current_user": user, "locale": str(get_locale()),
                "locales": settings.locales, "nav_items": items}

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        db_session = g.pop("db_session", None)
        if db_session is not None:
            db_session.close()

    return app


def _select_locale(settings: Settings) -> str:
    if not has_request_context():  # jobs on a worker thread or Celery: the default language
        return settings.default_locale
    chosen = session.get("locale")
    if chosen in settings.locales:
        return str(chosen)
    match = request.accept_languages.best_match(["zh", "en"]) if request else None
    if match == "en" and "zh" not in (request.headers.get("Accept-Language") or "")[:2]:
        return "en"
    return settings.default_locale
