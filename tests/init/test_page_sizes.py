"""Page sizes: `init` writes one of the batch size, `check-config` refuses a users document
whose field takes a page size it does not give (or gives below `upstream.batch.size`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema

from adapter.checks.schema import page_size_problems
from adapter.demo.schema import build_schema as demo_schema
from adapter.init.discover import discover
from adapter.init.documents import users_document
from adapter.operations import build_operations
from adapter.page_sizes import page_size_paths
from tests.support import SettingsFactory

STRAPI_LIKE = """
input IDFilterInput { in: [ID] eq: ID }
input UsersPermissionsUserFiltersInput { id: IDFilterInput username: StringFilterInput }
input StringFilterInput { eq: String }
input PaginationArg { page: Int pageSize: Int start: Int limit: Int }
type UsersPermissionsUser { username: String! email: String! firstName: String }
type UsersPermissionsUserEntity { id: ID attributes: UsersPermissionsUser }
type UsersPermissionsUserEntityResponseCollection { data: [UsersPermissionsUserEntity!]! }
type Query {
  usersPermissionsUsers(
    filters: UsersPermissionsUserFiltersInput, pagination: PaginationArg = {}, sort: [String] = []
  ): UsersPermissionsUserEntityResponseCollection
}
"""


def test_page_size_inside_an_input_object_is_found() -> None:
    """Strapi's `pagination: {limit}` is a page size; `limit` is preferred to `pageSize`."""
    schema = build_schema(STRAPI_LIKE)
    field = schema.query_type.fields["usersPermissionsUsers"]  # type: ignore[union-attr]
    assert page_size_paths(field) == [("pagination", "limit"), ("pagination", "pageSize")]


def test_init_writes_a_nested_page_size_of_the_batch_size() -> None:
    """A fetch field with a page size inside `pagination` is given the batch size there."""
    schema = build_schema(
        STRAPI_LIKE.replace("type UsersPermissionsUser {", "type UsersPermissionsUser { id: ID!")
        + "extend type Query { members(ids: [ID!]!, pagination: PaginationArg): "
        "[UsersPermissionsUser] }"
    )
    fetcher = next(f for f in discover(schema).fetchers if f.name == "members")
    assert fetcher.limit_argument == ("pagination", "limit")
    assert "members(ids: $ids, pagination: {limit: 100})" in users_document(fetcher, ["id"])


DOCUMENT = """query ChatUsers($ids: [ID!]!%s) {
  usersPage(ids: $ids%s) { nodes { id username displayName avatar { url } lastLoginAt badge role } }
}
"""


@pytest.mark.parametrize(
    ("declared", "given", "problem"),
    [
        ("", "", "does not give"),
        ("", ", limit: 10", "answers at most 10 users for a chunk of 100 ids"),
        ("", ", limit: 100", None),
        (", $size: Int = 25", ", limit: $size", "answers at most 25 users"),
        (", $size: Int = 100", ", limit: $size", None),
    ],
)
def test_check_config_checks_the_users_page_size_against_the_batch_size(
    make_settings: SettingsFactory,
    tmp_path: Path,
    declared: str,
    given: str,
    problem: str | None,
) -> None:
    """No page size, or one below `batch.size`, is a problem that names the fix."""
    path = tmp_path / "users.graphql"
    path.write_text(DOCUMENT % (declared, given))
    settings = make_settings(
        {
            "upstream": {
                "operations": {
                    "users": {
                        "document": str(path),
                        "result_path": "usersPage.nodes",
                        "ids_variable": "ids",
                    }
                }
            },
            "mapping": {"profiles": None},
        }
    )
    schema = demo_schema()._schema
    problems = page_size_problems(build_operations(settings), schema, 100)
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1
        assert problem in problems[0]
        assert "limit: 100" in problems[0]
