"""The shapes CMSs give their users, read by `init` from the schema alone (SDL as the real
servers print it, trimmed): Strapi 4's entity wrapper, Strapi 5's documentId and `me` of its own
type, Directus' `users_me`, WPGraphQL's `uri`."""

from __future__ import annotations

from graphql import build_schema

from adapter.errors import InitError
from adapter.init.discover import discover
from adapter.init.documents import users_document, viewer_document
from adapter.init.plan import Plan
from adapter.init.propose import propose

STRAPI4 = """
input IDFilterInput { in: [ID] eq: ID }
input StringFilterInput { eq: String }
input UsersPermissionsUserFiltersInput { id: IDFilterInput username: StringFilterInput }
input PaginationArg { page: Int pageSize: Int start: Int limit: Int }
type UploadFile { name: String! url: String! }
type UploadFileEntity { id: ID attributes: UploadFile }
type UploadFileEntityResponse { data: UploadFileEntity }
type UsersPermissionsUser {
  username: String! email: String! firstName: String lastName: String
  avatar: UploadFileEntityResponse
}
type UsersPermissionsUserEntity { id: ID attributes: UsersPermissionsUser }
type UsersPermissionsUserEntityResponse { data: UsersPermissionsUserEntity }
type Pagination { total: Int! page: Int! pageSize: Int! pageCount: Int! }
type ResponseCollectionMeta { pagination: Pagination! }
type UsersPermissionsUserEntityResponseCollection {
  data: [UsersPermissionsUserEntity!]! meta: ResponseCollectionMeta!
}
type UsersPermissionsMe { id: ID! username: String! email: String }
type Query {
  usersPermissionsUser(id: ID): UsersPermissionsUserEntityResponse
  usersPermissionsUsers(
    filters: UsersPermissionsUserFiltersInput, pagination: PaginationArg = {}, sort: [String] = []
  ): UsersPermissionsUserEntityResponseCollection
  me: UsersPermissionsMe
}
"""

STRAPI5 = """
input IDFilterInput { in: [ID] eq: ID }
input UsersPermissionsUserFiltersInput { documentId: IDFilterInput }
input PaginationArg { page: Int pageSize: Int start: Int limit: Int }
type UploadFile { documentId: ID! url: String! }
type UsersPermissionsUser {
  documentId: ID! username: String! email: String! firstName: String lastName: String
  avatar: UploadFile
}
type UsersPermissionsMe { id: ID! documentId: ID! username: String! }
type Query {
  usersPermissionsUser(documentId: ID!): UsersPermissionsUser
  usersPermissionsUsers(
    filters: UsersPermissionsUserFiltersInput, pagination: PaginationArg = {}
  ): [UsersPermissionsUser]!
  me: UsersPermissionsMe
}
"""

WPGRAPHQL = """
type User { id: ID! databaseId: Int! name: String username: String url: String uri: String }
input RootQueryToUserConnectionWhereArgs { include: [Int] }
type RootQueryToUserConnection { nodes: [User!]! }
type Query {
  users(first: Int, where: RootQueryToUserConnectionWhereArgs): RootQueryToUserConnection
  viewer: User
}
"""


def _plan(sdl: str, samples: list[dict[str, object]] | None = None) -> Plan:
    discovery = discover(build_schema(sdl))
    proposal = propose(discovery, samples or [], site="https://site.example/graphql")
    return Plan(
        url="https://site.example/graphql",
        header_names=(),
        discovery=discovery,
        fetcher=discovery.fetcher,
        search=None,
        viewer=discovery.viewers[0] if discovery.viewers else None,
        proposal=proposal,
    )


def test_strapi4_users_are_read_through_the_entity_wrapper() -> None:
    """The id on `data { id attributes { … } }`, the filter, the page size, names, the avatar
    through its own wrapper, and `me { id }` as the viewer."""
    plan = _plan(STRAPI4)
    assert plan.discovery.user_type.name == "UsersPermissionsUserEntity"
    assert plan.fetcher.result_path == "usersPermissionsUsers.data"
    document = users_document(plan.fetcher, plan.selected_paths())
    assert "usersPermissionsUsers(filters: {id: {in: $ids}}, pagination: {limit: 100})" in document
    fields = plan.proposal.fields()
    assert fields["name"] == [
        "{attributes.firstName} {attributes.lastName}",
        "attributes.firstName",
        "attributes.lastName",
        "attributes.username",
    ]
    assert fields["avatar_url"]["path"] == "attributes.avatar.data.attributes.url"
    assert plan.viewer is not None
    assert viewer_document(plan.viewer, plan.proposal.id_field).split() == [
        "query", "ChatViewer", "{", "me", "{", "id", "}", "}",
    ]  # fmt: skip


def test_strapi5_users_by_document_id_and_the_viewer_of_another_type() -> None:
    """Users are fetched by documentId (text chat ids); `me` is found though it returns
    UsersPermissionsMe, and selects the documentId the users are keyed by."""
    plan = _plan(STRAPI5, [{"documentId": "s523mw5tihfrctqw134trcda"}])
    assert plan.proposal.id_field == "documentId"
    assert plan.proposal.id_type == "str"
    assert plan.fetcher.signature == "usersPermissionsUsers(filters: {documentId: {in: [ID!]}})"
    assert plan.viewer is not None
    assert "documentId" in viewer_document(plan.viewer, plan.proposal.id_field)


def test_strapi5_avatar_paths_are_joined_to_the_site() -> None:
    """Upload URLs that are paths on the site become a template on the site's address."""
    plan = _plan(STRAPI5, [{"documentId": "a", "avatar": {"url": "/uploads/a.png"}}])
    assert plan.proposal.fields()["avatar_url"] == {
        "template": "https://site.example{avatar.url}",
        "convert": "or_false",
    }


def test_wpgraphql_profile_url_is_uri_not_url() -> None:
    """WPGraphQL's `url` is the member's own website; `uri` is their page on the site."""
    plan = _plan(WPGRAPHQL)
    assert plan.proposal.fields()["profile_url"] == "https://site.example{uri}"


def test_directus_users_me_is_the_viewer() -> None:
    """Directus' `users_me` is recognised as the signed-in user."""
    sdl = """
    input string_filter_operators { _in: [String] _eq: String }
    input directus_users_filter { id: string_filter_operators }
    type directus_users { id: ID! first_name: String last_name: String email: String }
    type Query {
      users(filter: directus_users_filter, limit: Int): [directus_users!]!
      users_me: directus_users
    }
    """
    plan = _plan(sdl)
    assert plan.viewer is not None
    assert plan.viewer.name == "users_me"


DIRECTUS = """
scalar GraphQLStringOrFloat
input string_filter_operators { _in: [String] _eq: String }
input number_filter_operators { _in: [GraphQLStringOrFloat] _eq: GraphQLStringOrFloat }
input directus_users_filter { id: string_filter_operators chat_id: number_filter_operators }
type directus_files { id: ID! filename_disk: String }
type directus_users {
  id: ID! first_name: String last_name: String email: String chat_id: Int
  avatar: directus_files
}
type Query {
  users(filter: directus_users_filter, limit: Int, offset: Int): [directus_users!]!
  users_by_id(id: ID!): directus_users
  users_me: directus_users
}
"""


def test_directus_integer_key_avatar_and_viewer() -> None:
    """An integer `chat_id` beside the UUID id is the chat's id: filtered on, mapped, and
    selected by `users_me`; the avatar is /assets/{id}; names fall back part by part."""
    plan = _plan(DIRECTUS, [{"id": "0b1e8c6e-2b1f-4c39-9d2b-1e1f1b1c1d1e", "chat_id": 1001}])
    assert plan.fetcher.signature == "users(filter: {chat_id: {_in: [GraphQLStringOrFloat!]}})"
    assert plan.proposal.id_field == "chat_id"
    assert plan.proposal.id_type == "int"
    assert "users(filter: {chat_id: {_in: $ids}}, limit: 100)" in users_document(
        plan.fetcher, plan.selected_paths()
    )
    assert plan.viewer is not None
    assert "users_me {\n    chat_id\n  }" in viewer_document(plan.viewer, plan.proposal.id_field)
    fields = plan.proposal.fields()
    assert fields["avatar_url"] == {
        "template": "https://site.example/assets/{avatar.id}",
        "convert": "or_false",
    }
    assert fields["name"] == ["{first_name} {last_name}", "first_name", "last_name"]


def test_directus_without_an_integer_key_keeps_text_ids() -> None:
    """Without an integer field, the UUID id is the key and the chat's ids are text."""
    sdl = DIRECTUS.replace(" chat_id: Int", "").replace(" chat_id: number_filter_operators", "")
    plan = _plan(sdl, [{"id": "0b1e8c6e-2b1f-4c39-9d2b-1e1f1b1c1d1e"}])
    assert plan.proposal.id_field == "id"
    assert plan.proposal.id_type == "str"


def test_no_fetch_field_says_why_each_candidate_was_refused() -> None:
    """Each Query field returning the user type is named with the reason it cannot fetch by id."""
    sdl = """
    type User { id: ID! username: String email: String }
    type Query {
      users(first: Int): [User]
      userByEmail(email: String!): User
      me: User
    }
    """
    try:
        discover(build_schema(sdl))
    except InitError as exc:
        message = exc.message
    else:
        raise AssertionError("discover found a fetch field")
    assert "`users` (User): it returns a list but takes no list of ids" in message
    assert "`userByEmail` (User): it needs email, which init cannot fill in" in message
    assert "`me` (User): it returns one user but takes no id argument" in message
