"""Generated GraphQL requests: deep, wide, aliased and malformed documents, odd variables."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.support import FuzzClient, assert_no_crash

pytestmark = pytest.mark.faults

FUZZ = settings.get_profile("fuzz")
ANSWERS = {200, 400, 405, 413, 415}
FIELDS = ["chatWidget", "chatUsers(ids: [1, 2])", "__typename", "__schema", "issueChatToken"]
SELECTIONS = ["{ __typename }", "{ userId name }", "{ scriptUrl }", "{ token }", ""]


def _deep(depth: int) -> str:
    return (
        "query { "
        + "__schema { types { fields { type { " * depth
        + "name"
        + " } } } }" * depth
        + " }"
    )


documents = st.one_of(
    st.integers(min_value=1, max_value=60).map(_deep),
    st.integers(min_value=1, max_value=600).map(
        lambda n: "query { " + " ".join(f"a{i}: __typename" for i in range(n)) + " }"
    ),
    st.lists(st.tuples(st.sampled_from(FIELDS), st.sampled_from(SELECTIONS)), max_size=40).map(
        lambda parts: (
            "query { " + " ".join(f"x{i}: {f} {s}" for i, (f, s) in enumerate(parts)) + " }"
        )
    ),
    st.sampled_from(
        [
            "mutation { issueChatToken { token userId expiresAt } }",
            "mutation { issueChatToken { token } issueChatToken { token } }",
            "query { chatUsers(ids: []) { userId } }",
            'query { chatUsers(ids: ["1", "x", "-1", "99999999999999999999"]) { userId } }',
            "query Q($ids: [ID!]!) { chatUsers(ids: $ids) { userId name } }",
            "fragment F on Query { ...F } query { ...F }",
            "subscription { x }",
            "{",
            "",
        ]
    ),
    st.text(max_size=300),
)
variables = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["ids", "x", ""]),
        st.recursive(
            st.none() | st.integers() | st.text(max_size=10),
            lambda inner: st.lists(inner, max_size=5),
        ),
        max_size=3,
    ),
    st.text(max_size=20),
)


@FUZZ
@given(document=documents, values=variables)
def test_graphql_documents_never_crash(
    fuzz_client: FuzzClient, document: str, values: object
) -> None:
    """Any document and variables: a GraphQL answer or a GraphQL-shaped refusal, never a 500."""
    body = json.dumps({"query": document, "variables": values}).encode()
    response = fuzz_client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    answer = assert_no_crash(response, ANSWERS)
    assert isinstance(answer, dict)
    for error in answer.get("errors") or []:
        assert isinstance(error["message"], str)
        assert "Traceback" not in error["message"]


@FUZZ
@given(
    raw=st.binary(max_size=400), content_type=st.sampled_from(["application/json", "text/plain"])
)
def test_graphql_bodies_that_are_not_json_never_crash(
    fuzz_client: FuzzClient, raw: bytes, content_type: str
) -> None:
    """Bytes that are not a JSON request: refused with a 4xx, never a 500."""
    response = fuzz_client.post("/graphql", content=raw, headers={"Content-Type": content_type})
    assert_no_crash(response, ANSWERS)
