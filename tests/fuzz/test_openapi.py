"""schemathesis against /api/v1/openapi.json with a city token and a platform token, every check on
(the Python API's ``call_and_validate`` runs them all): each documented operation answers as
documented (status, content type, headers, schema), schema-valid data is not refused as invalid,
invalid data is, and nothing is a 500. Positive and negative cases, bounded per operation.

(schemathesis' own pytest plugin does not load under pytest 9, so each operation's strategy is
drawn from with Hypothesis here.)"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given
from schemathesis import GenerationMode

from saas.api.services import create_token
from saas.extensions import db
from saas.tenancy.services import get_tenant
from tests.factories import add_document
from tests.fuzz.conftest import examples

OPERATIONS = ["POST /api/v1/{slug}/documents", "GET /api/v1/{slug}/documents",
              "GET /api/v1/{slug}/documents/{registration_no}",
              "POST /api/v1/{slug}/documents/{registration_no}/transitions",
              "POST /api/v1/{slug}/public/status", "GET /api/v1/admin/compare"]


#: Where the API refuses, by design, schema-valid data for a reason a JSON schema cannot say, the
#: positive-data check (ST202) is told that answer too: an item whose NIK has an impossible birth day
#: is refused per item (422, listed), and a date range longer than two years or beyond the city's
#: days is a 400. Every other check keeps its defaults.
CONFIG = """
[[operations]]
include-path = "/api/v1/{slug}/documents"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[[operations]]
include-path = "/api/v1/admin/compare"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "429"]
"""


def _schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app,
                                          config=schemathesis.config.SchemathesisConfig.from_str(CONFIG))


@pytest.fixture
def tokens(app):
    add_document(app, registration_no="FZ-0001", status="ready")
    with app.app_context():
        _, city = create_token(tenant=get_tenant("balikpapan"), name="fuzz")
        _, platform = create_token(tenant=None, name="fuzz-platform")
        db.session.commit()
    return {"city": city, "platform": platform}


def test_every_documented_operation_is_fuzzed(app):
    schema = _schema(app)
    assert sorted(result.ok().label for result in schema.get_all_operations()) == sorted(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("label", OPERATIONS)
def test_the_api_answers_as_documented(app, tokens, label, mode):
    schema = _schema(app)
    operation = schema[label.split(" ", 1)[1]][label.split(" ", 1)[0]]
    fixed = {"slug": "balikpapan"} if "{slug}" in label else None
    token = tokens["platform"] if "/admin/" in label else tokens["city"]

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    @examples(12)
    def check(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

    check()
