"""A schemathesis run against /api/v1 through WSGI, as `st run` would do it: every operation of the
OpenAPI document, with its examples, the coverage phase's boundary and invalid values, and generated
(fuzzed) parameters, sent with a token that has every scope. Every response must be no 5xx and
conform to the document: status code, content type, body schema, headers, Allow on a 405; invalid
parameters must be refused with a 4xx and valid ones accepted; a request without the token refused.

Two things in schemathesis 4.32.5 shape this file:
- its pytest integration (`schemathesis.pytest.from_fixture`) fails on pytest 9.2 (it sets
  `request.node._nodeid`, which pytest 9 no longer has), so the run goes through its engine, the
  runner behind `st run`, inside one test with the data built once;
- its `ignored_auth` check crashes on WSGI apps (its probe without credentials hands `max_redirects`
  to werkzeug's test client), so it is switched off and `test_every_operation_refuses_a_request_without_a_token`
  does the same check.
"""

import re
from collections import Counter

import pytest
import schemathesis
import sqlalchemy as sa
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from portfolio.models import ApiToken
from portfolio.services import api_tokens
from tests.test_api import bearer, new_token, records  # noqa: F401  (the records fixture)

MAX_EXAMPLES = 30  # per operation in the fuzzing phase; examples and coverage cases come on top


def run_schemathesis(app, secret: str, *, paths: str | None = None) -> tuple[list[str], Counter]:
    """Run every operation (only those whose path matches the regular expression `paths`, when given)."""
    config = SchemathesisConfig.from_dict({
        "headers": bearer(secret),
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},  # no links between operations: nothing to chain
        "checks": {"enabled": True, "ignored_auth": {"enabled": False}},  # see the module docstring
        "cache": {"enabled": False},
        "continue-on-failure": True,
    })
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config, headers=bearer(secret))
    if paths:
        schema = schema.include(path_regex=paths)
    problems, statuses = [], Counter()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    statuses[(interaction.request.method, interaction.response.status_code)] += 1
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE:
                        info = check.failure_info
                        problems.append(f"{event.recorder.label}: {check.name}: {info.failure if info else ''}")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            problems.append(f"error: {getattr(event, 'info', None) or event.exception}")
        elif isinstance(event, events.EngineFinished):
            problems += [f"after the run: {failure}" for failure in event.failures]
    return sorted(set(problems)), statuses


# hypothesis warns when a failing example's repr is long; under filterwarnings=error that would
# abort the scenario instead of reporting it.
@pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")
@pytest.mark.slow  # ~8 s: hundreds of generated requests
def test_every_operation_conforms_to_the_openapi_document(app, session, people, records):  # noqa: F811
    """Data in every list: an award with a paid claim, submitted and open returns, a draft claim and a
    draft application (which the API must not show)."""
    problems, statuses = run_schemathesis(app, new_token(session, people["admin"]))
    assert problems == [], "\n".join(problems)
    assert not [key for key in statuses if key[1] >= 500], statuses
    # The run really exercised the API: successes, refused parameters, unknown ids, no token, methods.
    seen = {status for _, status in statuses}
    assert {200, 400, 401, 404, 405} <= seen, statuses
    assert sum(statuses.values()) > 300, statuses


def test_every_operation_refuses_a_request_without_a_token(app, client, session, people):
    """What schemathesis's ignored_auth check would do: each operation of the document, called
    without credentials or with a revoked token, answers 401 with the documented error body."""
    secret = new_token(session, people["admin"])
    spec = client.get("/api/v1/openapi.json", headers=bearer(secret)).response.get_json()
    error_fields = set(spec["components"]["schemas"]["Error"]["required"])
    api_tokens.revoke(session, token=session.scalar(sa.select(ApiToken)), by=people["admin"])
    session.commit()
    for path, operations in spec["paths"].items():
        assert "401" in operations["get"]["responses"], path
        url = re.sub(r"\{[a-z_]+\}", "1", path)
        for headers in ({}, bearer(secret)):
            response = client.get(url, headers=headers).response
            assert response.status_code == 401, (url, headers)
            assert error_fields <= set(response.get_json()), url
