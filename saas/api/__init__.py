"""The API: per-city tokens, the office API, the public status lookup and the OpenAPI document.

Offers to the packages above it:
- ``services``: ``create_token`` (city and platform tokens), ``token_from_header``;
- ``models``: ``ApiToken``;
- ``openapi``: ``add_path``, so a capability above documents its own API path in the one document.
"""
from __future__ import annotations

OFFERS = ("services", "models", "openapi")


def wire(app) -> None:
    from saas.api.cli import tokens_cli
    from saas.api.office import office_settings
    from saas.api.views import bp, meta

    for blueprint in (meta, bp, office_settings):
        app.register_blueprint(blueprint)
    app.cli.add_command(tokens_cli)
