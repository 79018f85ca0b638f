"""No route is public by accident: every GET route answers an anonymous visitor with a
redirect to the login page (pages) or 401 (API), except the few that are public on purpose.
A new route that forgets its guard fails here."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

# public on purpose: logging in, registering, and what label verifiers need
PUBLIC = {"auth.login", "auth.register", "static", "api-docs.openapi_json",
          "wellknown.jwks", "wellknown.did_document", "verify.label", "verify.qr_code",
          "verify.label_image", "verify.checkpoint", "verify.proof", "verify.label_token",
          "verify.bundle", "verify.label_json", "verify.status_list", "verify.consistency",
          "verify.leaf", "wellknown.trust_list_jwt", "wellknown.trust_list_json",
          "schemas.product_model", "schemas.background"}


def concrete(rule: str) -> str:
    """A URL for *rule* with every parameter filled with a value that exists nowhere."""
    return re.sub(r"<(?:(\w+):)?(\w+)>",
                  lambda m: "999999" if m.group(1) == "int" else "no-such-thing", rule)


def test_every_get_route_requires_a_login(app: Flask, client: FlaskClient) -> None:
    checked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint in PUBLIC:
            continue
        url = concrete(rule.rule)
        response = client.get(url)
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, (rule.rule, response.status_code)
        else:
            assert response.status_code == 302, (rule.rule, response.status_code)
            assert "/login" in response.headers["Location"], rule.rule
        checked.append(rule.rule)
    assert len(checked) >= 15  # the walk really covered the portal


def test_public_routes_are_the_intended_ones(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints | {"api-docs.openapi_json"} >= PUBLIC
