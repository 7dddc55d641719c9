"""Schemathesis against the API's own OpenAPI document, through the WSGI application, with
a valid token: generated requests (valid and invalid) never get a server error, and every
answer (status, content type, headers, body) is the one the document promises. Requests
without the token are refused (ignored_auth)."""

import contextlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from langcert.verification.models import Share
from tests.results.conftest import (  # noqa: F401 (shared fixtures)
    advanced_result,
    entry_factory,
)
from tests.verification.test_api import (  # noqa: F401 (shared fixtures)
    credential,
    organisation,
    token,
)

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection,
          ignored_auth]
OPERATIONS = [
    ("GET", "/api/v1/ping"),
    ("GET", "/api/v1/results"),
    ("POST", "/api/v1/verifications"),
    ("POST", "/api/v1/verifications/bulk"),
    ("GET", "/api/v1/results/{public_id}/statement.pdf"),
    ("GET", "/api/v1/webhooks"),
    ("POST", "/api/v1/webhooks"),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"),
]


@contextlib.contextmanager
def connection_kept():
    """As Django's test client does around each request: the database connection (which
    holds the test's transaction) stays open when the WSGI request ends."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in signals:
            signal.connect(close_old_connections)


@pytest.fixture
def api_schema(settings):
    """The document, loaded through the real WSGI application."""
    from langcert.wsgi import application

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # the WSGI transport's
    with connection_kept():
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


def test_the_document_lists_exactly_these_operations(api_schema):
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_answers_conform_to_the_document(api_schema, token, advanced_result, organisation,  # noqa: F811
                                         method, path):
    Share.objects.create(result=advanced_result, organisation=organisation)  # data to list
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {token}"}

    @given(case=operation.as_strategy())
    @hypothesis_settings(max_examples=20, deadline=None, database=None,
                         phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    with connection_kept():
        check()
