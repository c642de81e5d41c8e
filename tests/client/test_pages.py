"""Cursor pages, request bodies and error details in the SDK, against a scripted HTTP server
on loopback: what a script or notebook sees."""

from __future__ import annotations

import pytest

from adminapp.client import AdminClient, ConflictError, CursorPage, UnprocessableEntityError
from adminapp.client.resources._base import body
from adminapp.client.types import ApiKeyCreateParams, SpaceCreateParams
from tests.client.scripted_server import Reply, ScriptedServer

NOW = "2026-01-02T03:04:05Z"


def space(n: int) -> dict:
    return {
        "id": f"spc_{n}",
        "organization_id": "org_1",
        "name": f"Space {n}",
        "created_at": NOW,
        "updated_at": NOW,
    }


def spaces_page(numbers, cursor=None) -> dict:
    return {
        "spaces": [space(n) for n in numbers],
        "pagination": {"has_more": cursor is not None, "next_cursor": cursor},
    }


@pytest.fixture
def server():
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def client(server):
    with AdminClient(api_key="adm_x", base_url=server.url, max_retries=0) as c:
        yield c


def test_a_page_is_one_page_until_iterated_then_walks_every_page_lazily(server, client):
    server.script(
        Reply(200, json=spaces_page([1, 2], cursor="c1")),
        Reply(200, json=spaces_page([3, 4], cursor="c2")),
        Reply(200, json=spaces_page([5])),
    )
    page = client.spaces.list(name="space", limit=2)

    assert isinstance(page, CursorPage)
    assert [s.id for s in page.items] == ["spc_1", "spc_2"]
    assert (page.has_more, page.next_cursor) == (True, "c1")
    assert len(server.received) == 1  # nothing fetched ahead

    walked = iter(page)
    assert [next(walked).id, next(walked).id] == ["spc_1", "spc_2"]
    assert len(server.received) == 1
    assert next(walked).id == "spc_3"  # the second page, fetched only now
    assert [s.id for s in walked] == ["spc_4", "spc_5"]
    second, third = server.received[1:]
    assert second.query == {"name": ["space"], "limit": ["2"], "cursor": ["c1"]}
    assert third.query["cursor"] == ["c2"]


def test_next_page_fetches_one_page_and_the_last_page_says_so(server, client):
    server.script(
        Reply(200, json=spaces_page([1], cursor="c1")),
        Reply(200, json=spaces_page([2])),
        Reply(200, json=spaces_page([2])),
    )
    first = client.spaces.list(limit=1)
    last = first.next_page()

    assert [s.id for s in last.items] == ["spc_2"] and last.has_more is False
    assert [p.items[0].id for p in first.iter_pages()] == ["spc_1", "spc_2"]
    with pytest.raises(ValueError, match="last page"):
        last.next_page()


def test_a_server_repeating_a_cursor_is_an_error_not_an_endless_loop(server, client):
    server.script(Reply(200, json=spaces_page([1], cursor="c1")))
    server.script(*[Reply(200, json=spaces_page([2], cursor="c1")) for _ in range(3)])
    with pytest.raises(RuntimeError, match="same cursor twice"):
        list(client.spaces.list(limit=1))


def test_to_df_has_one_row_per_item_of_the_page_or_of_every_page(server, client):
    pytest.importorskip("pandas")
    server.script(
        Reply(200, json=spaces_page([1, 2], cursor="c1")), Reply(200, json=spaces_page([3]))
    )
    page = client.spaces.list(limit=2)

    assert list(page.to_df()["id"]) == ["spc_1", "spc_2"]
    assert list(page.to_df(all_pages=True)["name"]) == ["Space 1", "Space 2", "Space 3"]


def test_a_body_is_shaped_by_the_params_model_the_server_validates_with():
    assert body(SpaceCreateParams, name="Lab", description=None) == {"name": "Lab"}
    assert body(ApiKeyCreateParams, label="x", kind="SERVICE", role="ADMIN") == {
        "label": "x",
        "kind": "SERVICE",
        "role": "ADMIN",
    }
    with pytest.raises(TypeError, match="no field colour"):
        body(SpaceCreateParams, name="Lab", colour="red")


def test_values_are_the_servers_to_judge_so_every_door_gets_its_message(server, client):
    refusal = {
        "error": {
            "code": "validation_error",
            "message": "label must be at most 100 characters (got 101).",
            "fields": {"label": ["At most 100 characters."]},
            "details": {},
            "request_id": "req_1",
        }
    }
    server.script(Reply(422, json=refusal))
    with pytest.raises(UnprocessableEntityError) as exc_info:
        client.api_keys.create(label="x" * 101, kind="NOT_A_KIND")
    assert server.received[0].json() == {
        "label": "x" * 101,
        "description": "",
        "kind": "NOT_A_KIND",
    }
    assert exc_info.value.fields == {"label": ["At most 100 characters."]}


def test_an_errors_details_reach_the_exception(server, client):
    server.script(
        Reply(
            409,
            json={
                "error": {
                    "code": "role_in_use",
                    "message": "Role 'Curator' is used by 3 space memberships.",
                    "fields": {},
                    "details": {"memberships": 3},
                    "request_id": "req_2",
                }
            },
        )
    )
    with pytest.raises(ConflictError) as exc_info:
        client.roles.delete("rol_1")
    assert (exc_info.value.code, exc_info.value.details) == ("role_in_use", {"memberships": 3})
