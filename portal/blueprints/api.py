"""The JSON API (flask-smorest; OpenAPI document at /api/openapi.json). Clients authenticate
with `Authorization: Bearer <token>` (tokens are made on the organisation page); cookies are
not accepted here, which is why the API needs no CSRF token."""

from __future__ import annotations

import json
from typing import Any

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from portal import safe_json
from portal.blueprints.api_schemas import JobSchema, MeSchema, ReleaseSchema
from portal.db.models import ReleaseRecord, ReleaseStatus, User
from portal.services import api_tokens, releases
from portal.services.errors import NotFound
from portal.web import database


class BodyParser(FlaskParser):
    """webargs' parser with JSON bodies read by `safe_json`: too deep, or a number out of
    range, is a 400 naming the value's path, never a RecursionError or an overflow later."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        try:
            return safe_json.loads(req.get_data(cache=True))
        except safe_json.JsonRefusedError as exc:
            abort(400, message=f"the JSON body is refused: {exc}",
                  errors={"json": {exc.path: [exc.reason]}})


#: The X-Pagination header as it is sent: one JSON object (flask-smorest documents it as a
#: plain object schema, which OpenAPI reads as comma-separated "simple" style).
PAGINATION_HEADER = {
    "description": "Pagination metadata, one JSON object: total, total_pages, first_page, "
                   "last_page, page, previous_page, next_page",
    "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False,
        "properties": {name: {"type": "integer"} for name in (
            "total", "total_pages", "first_page", "last_page", "page", "previous_page",
            "next_page")}}}},
}


class ApiBlueprint(Blueprint):
    """A blueprint of the JSON API: bodies parsed by `BodyParser`, pagination documented as
    the JSON header it is."""

    def _document_pagination_metadata(self, spec: Any, resp_doc: dict[str, Any]) -> None:
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = PAGINATION_HEADER


def api_blueprint(name: str, description: str) -> Blueprint:
    """A blueprint of the JSON API, under /api/v1."""
    made = ApiBlueprint(name, __name__, url_prefix="/api/v1", description=description)
    made.ARGUMENTS_PARSER = BodyParser()
    return made


blueprint = api_blueprint("api", "Footprints, products and background releases")


def api_user() -> User:
    user: User = g.api_user
    return user


@blueprint.before_request
def authenticate() -> None:
    """Load the token's user into `g.api_user` (401 without a live token)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        abort(401, message="send Authorization: Bearer <token>")
    previous = g.pop("db_session", None)  # a cookie session's, if the client sent one
    if previous is not None:
        previous.close()
    db = database().sessions()
    g.db_session = db
    user = api_tokens.user_for(db, token.strip())
    if user is None:
        db.rollback()
        abort(401, message="unknown, revoked or inactive token")
    db.commit()  # last_used_at
    g.api_user = user


@blueprint.route("/me")
class Me(MethodView):
    @blueprint.response(200, MeSchema)
    def get(self) -> dict[str, Any]:
        """The user the token belongs to."""
        user = api_user()
        return {"email": user.email, "name": user.name, "role": user.role.value,
                "organisation": user.organisation.name,
                "organisation_kind": user.organisation.kind.value}


@blueprint.route("/releases")
class Releases(MethodView):
    @blueprint.response(200, ReleaseSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Published background releases, newest first."""
        rows = g.db_session.scalars(select(ReleaseRecord).where(
            ReleaseRecord.status == ReleaseStatus.READY).order_by(
            ReleaseRecord.published_at.desc()))
        return [{"id": r.id, "name": r.name, "version": r.version,
                 "content_hash": r.content_hash, "base": r.base,
                 "extensions": json.loads(r.extensions), "published_at": r.published_at}
                for r in rows]


@blueprint.route("/jobs/<job_id>")
class Jobs(MethodView):
    @blueprint.response(200, JobSchema)
    def get(self, job_id: str) -> dict[str, Any]:
        """A job's status and progress (jobs of the caller's organisation only)."""
        try:
            job = releases.get_job(g.db_session, viewer=api_user(), job_id=job_id)
        except NotFound:
            abort(404, message="no such job")
        return {"id": job.id, "kind": job.kind, "status": job.status.value,
                "progress": job.progress, "message": job.message,
                "result": json.loads(job.result) if job.result else None,
                "error": job.error.splitlines()[0] if job.error else ""}
