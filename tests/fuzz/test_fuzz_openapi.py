"""Schemathesis cases from the adapter's own OpenAPI document, sent over real HTTP on loopback.

The cases come from schemathesis' Hypothesis strategies (its pytest plugin is not used).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok

from adapter.app import create_app
from tests.servers import LiveServer
from tests.support import CHAT_AUTH, reference_data, settings_from

pytestmark = pytest.mark.faults

FUZZ = settings.get_profile("fuzz")
APP = create_app(settings_from(reference_data()))
SCHEMA = schemathesis.openapi.from_dict(APP.openapi())
RESULTS = list(SCHEMA.get_all_operations())
OPERATIONS = [result.ok() for result in RESULTS if isinstance(result, Ok)]
CASES = st.one_of(*(operation.as_strategy() for operation in OPERATIONS))


def test_the_document_describes_the_chat_routes() -> None:
    """Every operation in the OpenAPI document is valid, and the chat routes are among them."""
    assert len(OPERATIONS) == len(RESULTS)
    paths = {operation.path for operation in OPERATIONS}
    assert {"/imbachat/v1/users", "/imbachat/v1/getusers/{user_ids}"} <= paths


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """The reference app on a loopback port."""
    with LiveServer(APP) as server:
        yield server.url


@FUZZ
@given(case=CASES)
def test_every_documented_operation_survives_generated_input(served: str, case: Any) -> None:
    """Schema-shaped input to every documented REST operation: never a 5xx, never a traceback."""
    response = case.call(base_url=served, auth=CHAT_AUTH, timeout=10)
    assert response.status_code < 500, (case.path, response.status_code, response.text[:300])
    assert "Traceback" not in response.text
