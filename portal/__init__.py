"""The portal: a Flask app factory, one blueprint per feature, services owning transactions.

`create_app()` builds everything from `Settings` (environment variables, or a test config);
importing this package does no I/O and opens no connection.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, g, has_request_context, render_template, request, session
from flask.json.provider import DefaultJSONProvider
from flask_babel import get_locale
from flask_smorest import Api
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from portal import safe_json
from portal.crypto import Vault, load_master_key
from portal.db.session import Database
from portal.extensions import babel, csrf, limiter
from portal.services.login_throttle import LoginThrottle
from portal.settings import Settings
from portal.web import MAX_ID

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


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: at most MAX_ID (2**31 - 1), the largest id every database's
    columns hold, so a longer number is a 404 like any unknown id (werkzeug's own has no
    upper bound)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with request bodies parsed under `safe_json`'s limits."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return safe_json.loads(s)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the portal. *test_config* overrides settings fields (e.g. database_url)."""
    settings = Settings.from_env(**(test_config or {})).resolved()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.url_map.converters["int"] = IdConverter  # before any rule is added
    app.json = SafeJSONProvider(app)
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
    app.extensions["pcf_login_throttle"] = LoginThrottle(settings.ratelimit_storage_url,
                                                         settings.account_login_rate_limit)

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
        schemas,
        verify,
        wellknown,
    )
    from portal.rules import views as rules  # noqa: PLC0415

    navigation: list[tuple[str, str, tuple[Any, ...]]] = []
    for module in (auth, home, publishing, products, rules, certification, grading, wellknown,
                   verify, schemas):
        app.register_blueprint(module.blueprint)
        navigation.extend(getattr(module, "NAV", []))
    from portal.blueprints import api, api_products  # noqa: PLC0415

    rest = Api(app)
    rest.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    rest.spec.options["security"] = [{"bearer": []}]
    schemas.register_components(rest.spec)  # the model document the bodies refer to
    for module in (api, api_products):
        csrf.exempt(module.blueprint)
        rest.register_blueprint(module.blueprint)

    @app.before_request
    def _refuse_nul() -> Response | None:
        # PostgreSQL stores no NUL character in text, and nothing a person types holds one:
        # no object has such an id (404), and a form holding one is refused (400)
        if any(isinstance(v, str) and "\x00" in v for v in (request.view_args or {}).values()):
            abort(404)
        if any("\x00" in v for v in request.form.values()):
            return _nul_refused()
        return None

    @app.before_request
    def _load_user() -> None:
        from portal.blueprints.auth import load_current_user  # noqa: PLC0415

        load_current_user()

    _register_error_pages(app)

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


def _nul_refused() -> Response:
    from flask import make_response  # noqa: PLC0415

    response = make_response(("A NUL character is not accepted in a request.", 400))
    response.mimetype = "text/plain"
    return response


def _register_error_pages(app: Flask) -> None:
    """Failures that are not the client's fault in words, never a traceback: the database
    gone away (503, try again), and a number too large for a column that slipped past the
    route and form checks (400)."""

    def page(status: int, message: str) -> Response:
        if status == 503:
            g.user = None  # the header must not reach for the database that just failed
        if request.path.startswith("/api/"):
            response = app.make_response(({"code": status, "message": message}, status))
        else:
            response = app.make_response(render_template("error.html", status=status,
                                                         message=message))
        response.status_code = status
        if status == 503:
            response.headers["Retry-After"] = "5"
        return response

    def _database(exc: DBAPIError) -> Response:
        app.logger.error("database unavailable: %s", exc.orig)
        return page(503, "The database is unavailable for a moment; try again shortly.")

    app.register_error_handler(OperationalError, _database)
    app.register_error_handler(InterfaceError, _database)

    @app.errorhandler(MethodNotAllowed)
    def _method(exc: MethodNotAllowed) -> Response | MethodNotAllowed:
        if not request.path.startswith("/api/"):
            return exc  # werkzeug's page, with its Allow header
        response = app.make_response(({"code": 405, "status": "Method Not Allowed",
                                       "message": f"{request.method} is not allowed here"},
                                      405))
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods or ()))
        return response

    @app.errorhandler(OverflowError)
    def _overflow(_exc: OverflowError) -> Response:
        return page(400, "A number in the request is too large.")

    del _method, _overflow  # registered; the names are not needed


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
