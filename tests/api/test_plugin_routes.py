"""Plugin routes: /_emdash/api/plugins/<id>/<route>, private unless public."""

from typing import Any

import pytest
from django.test import Client

from emdash.plugins.models import Plugin, PluginLog, PluginValue
from tests.api.conftest import (
    bearer,
    csrf_header,
    send,
    session_client,
    token_for,
)
from tests.factories import make_collection, make_user
from tests.plugins.fixtures import calling, host_call_then_loop, install, rejecting
from tests.plugins.sandbox.wat import ECHO, INFINITE_LOOP, UNCHANGED

pytestmark = pytest.mark.django_db

ROUTES = {
    "stats": {},
    "drafts": {"permission": "content:read_drafts"},
    "ping": {"public": True},
}


@pytest.fixture
def echo() -> Plugin:
    """A plugin whose every route answers its own input."""
    return install(
        "echo",
        ECHO,
        routes=ROUTES,
        settings={"greeting": {"type": "string", "label": "Greeting"}},
        values={"greeting": "hello"},
    )


def error_of(response: Any) -> dict[str, Any]:
    return response.json()["error"]


def echoed(method: str, **changes: Any) -> dict[str, Any]:
    return {
        "hook": "route:stats",
        "method": method,
        "query": {},
        "body": None,
        "user": None,
        "settings": {"greeting": "hello"},
        **changes,
    }


def test_a_route_answers_what_its_handler_returns(client, echo, admin):
    response = send(
        client, "GET", "/plugins/echo/stats?period=week&x=1&x=2", headers=admin
    )

    assert response.status_code == 200, response.content
    assert response.json() == echoed("GET", query={"period": "week", "x": "2"})


def test_a_post_hands_the_json_body_to_the_handler(client, echo, admin):
    response = send(client, "POST", "/plugins/echo/stats", {"rows": [1, 2]}, admin)

    assert response.status_code == 200, response.content
    assert response.json() == echoed("POST", body={"rows": [1, 2]})


def test_the_handler_sees_who_calls(echo):
    user = make_user("administrator", email="root@example.com")
    client = session_client(user)

    response = send(client, "GET", "/plugins/echo/stats")

    assert response.json()["user"] == {
        "id": user.pk,
        "display_name": "Administrator User",
        "role": "administrator",
    }


def test_a_private_route_refuses_anonymous_callers(client, echo):
    response = send(client, "GET", "/plugins/echo/stats")

    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHENTICATED"


def test_a_private_route_needs_its_permission(client, echo):
    editor = bearer(token_for("admin", user=make_user("editor")))
    contributor = bearer(token_for("admin", user=make_user("contributor")))
    subscriber = bearer(token_for("admin", user=make_user("subscriber")))

    refused = send(client, "GET", "/plugins/echo/stats", headers=editor)
    allowed = send(client, "GET", "/plugins/echo/drafts", headers=contributor)
    refused_drafts = send(client, "GET", "/plugins/echo/drafts", headers=subscriber)

    assert refused.status_code == 403
    assert error_of(refused) == {
        "code": "FORBIDDEN",
        "message": "Editor User (token test) lacks the permission plugins:manage.",
        "details": {"permission": "plugins:manage"},
    }
    assert allowed.status_code == 200
    assert refused_drafts.status_code == 403
    assert error_of(refused_drafts)["details"] == {"permission": "content:read_drafts"}


def test_a_public_route_answers_anonymous_callers(client, echo):
    response = send(client, "GET", "/plugins/echo/ping")

    assert response.status_code == 200
    assert response.json()["hook"] == "route:ping"
    assert response.json()["user"] is None


def test_a_public_route_takes_anonymous_posts_without_a_csrf_token(echo):
    sender = Client(enforce_csrf_checks=True)  # a webhook sender: no cookies

    public = send(sender, "POST", "/plugins/echo/ping", {"event": "paid"})
    private = send(sender, "POST", "/plugins/echo/stats", {"event": "paid"})

    assert public.status_code == 200
    assert public.json()["body"] == {"event": "paid"}
    assert private.status_code == 401


def test_a_cookie_post_to_a_public_route_still_needs_the_csrf_token(echo):
    client = session_client(make_user("subscriber"), enforce_csrf_checks=True)

    forged = send(client, "POST", "/plugins/echo/ping", {"x": 1})
    genuine = send(client, "POST", "/plugins/echo/ping", {"x": 1}, csrf_header(client))

    assert forged.status_code == 403
    assert error_of(forged)["code"] == "CSRF_FAILED"
    assert genuine.status_code == 200
    assert genuine.json()["body"] == {"x": 1}


@pytest.mark.parametrize(
    ("path", "plugin", "route"),
    [
        ("/plugins/nobody/stats", "nobody", "stats"),
        ("/plugins/echo/unknown", "echo", "unknown"),
    ],
)
def test_an_unknown_plugin_or_route_is_not_found(
    client, echo, admin, path, plugin, route
):
    response = send(client, "GET", path, headers=admin)

    assert response.status_code == 404
    assert error_of(response) == {
        "code": "PLUGIN_ROUTE_NOT_FOUND",
        "message": (
            f"No plugin route '{route}' of plugin '{plugin}': the plugin is not "
            "installed, is disabled, or does not declare that route."
        ),
        "details": {"plugin": plugin, "route": route},
    }


def test_a_disabled_plugins_routes_are_not_found(client, admin):
    install("echo", ECHO, routes=ROUTES, enabled=False)

    response = send(client, "GET", "/plugins/echo/ping")

    assert response.status_code == 404
    assert error_of(response)["code"] == "PLUGIN_ROUTE_NOT_FOUND"


def test_a_handler_that_answers_nothing_is_no_content(client, admin):
    install("quiet", UNCHANGED, routes=ROUTES)

    response = send(client, "GET", "/plugins/quiet/stats", headers=admin)

    assert response.status_code == 204
    assert response.content == b""


def test_a_malformed_body_is_refused_before_the_plugin_runs(client, admin):
    install("counter", calling("kv_set", '{"key":"ran","value":true}'), routes=ROUTES)

    response = client.post(
        "/_emdash/api/plugins/counter/stats",
        b"{not json",
        content_type="application/json",
        headers=admin,
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "MALFORMED_JSON"
    assert PluginValue.objects.count() == 0


def test_a_rejecting_handler_answers_422(client, admin):
    install("gatekeeper", rejecting("CLOSED", "Come back later."), routes=ROUTES)

    response = send(client, "GET", "/plugins/gatekeeper/ping")

    assert response.status_code == 422
    assert error_of(response) == {
        "code": "PLUGIN_REJECTED",
        "message": "Plugin 'gatekeeper' rejected route:ping: Come back later. (CLOSED)",
        "details": {"plugin": "gatekeeper", "hook": "route:ping", "code": "CLOSED"},
    }


def test_a_failing_handler_answers_422_is_logged_and_writes_nothing(client, admin):
    make_collection("posts")
    install(
        "looper",
        host_call_then_loop("kv_set", '{"key":"half","value":1}'),
        routes=ROUTES,
    )

    response = send(client, "GET", "/plugins/looper/stats", headers=admin)

    assert response.status_code == 422
    assert error_of(response) == {
        "code": "PLUGIN_FAILED",
        "message": (
            "Plugin 'looper' failed in route:stats (fuel): used all 50000000 units "
            "of fuel: wasm trap: all fuel consumed by WebAssembly"
        ),
        "details": {"plugin": "looper", "hook": "route:stats", "reason": "fuel"},
    }
    assert PluginValue.objects.count() == 0
    assert list(PluginLog.objects.values_list("plugin_id", "level", "hook")) == [
        ("looper", "error", "route:stats")
    ]
    # The site keeps serving.
    assert send(client, "GET", "/content/posts", headers=admin).status_code == 200
    assert send(client, "GET", "/plugins/looper/stats").status_code == 401


def test_a_route_handler_can_loop_only_as_long_as_its_limits(client, admin):
    install("spinner", INFINITE_LOOP, routes=ROUTES)

    response = send(client, "POST", "/plugins/spinner/stats", {"go": True}, admin)

    assert response.status_code == 422
    assert error_of(response)["details"]["reason"] == "fuel"


def test_a_client_without_a_session_sees_json_errors(echo):
    anonymous = Client()

    response = anonymous.put("/_emdash/api/plugins/echo/ping")

    assert response.status_code == 405
    assert error_of(response)["code"] == "METHOD_NOT_ALLOWED"
