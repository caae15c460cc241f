"""A first end-to-end look: the reference configuration answers the vendor's curl line."""

from __future__ import annotations

from adapter.app import create_app
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client


async def test_reference_config_answers_users_info(make_settings: SettingsFactory) -> None:
    """The reference config with the embedded demo answers `user_ids=1,2,3` with three users."""
    app = create_app(make_settings())
    async with asgi_client(app) as client:
        response = await client.get("/imbachat/v1/users?user_ids=1,2,3", auth=CHAT_AUTH)
    assert response.status_code == 200
    assert [user["user_id"] for user in response.json()] == [1, 2, 3]
