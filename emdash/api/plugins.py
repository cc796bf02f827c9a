"""Plugin routes: /_emdash/api/plugins/{plugin_id}/{route}, answered by the plugin.

A route is one the plugin's manifest declares; its handler runs as the hook
``route:<name>`` with ``{method, query, body, user}``. A route is private unless
the manifest makes it ``public``: the caller needs the route's permission
(``plugins:manage`` by default). Public routes take anonymous callers, writes
included; a write made with a signed-in session cookie is CSRF-checked all the
same.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from emdash.accounts.models import User
from emdash.api.application import parse_json
from emdash.api.auth import BearerOrAnonymous, actor_of
from emdash.core.actors import ANONYMOUS, Actor
from emdash.plugins import runtime
from emdash.plugins.bindings import user_summary


class PluginRouteAuth(BearerOrAnonymous):
    """Anonymous callers may call public routes with any method. A caller with
    no session cookie and no token carries no credentials a forged request could
    borrow, so only a signed-in session's writes must pass the CSRF check (a
    webhook sender has no CSRF token)."""

    def __call__(self, request: HttpRequest) -> Actor:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if not request.headers.get("Authorization") and not signed_in:
            return ANONYMOUS
        return super().__call__(request)


router = Router(tags=["plugins"], auth=PluginRouteAuth())

DESCRIPTION = (
    "Runs the route's handler in the plugin (hook `route:<name>`) with "
    "`{method, query, body, user}` and answers its `ok` value. A route is private "
    "unless its manifest says `public: true`: the caller needs the route's "
    "permission (plugins:manage unless the manifest names another). A refusal by "
    "the plugin is 422 PLUGIN_REJECTED, a failure 422 PLUGIN_FAILED; an unknown "
    "plugin or route, or a disabled plugin, is 404 PLUGIN_ROUTE_NOT_FOUND. The "
    "handler answering nothing is 204."
)
ANY_JSON_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": {"description": "Any JSON"}}},
    }
}


def _user(actor: Actor) -> dict[str, Any] | None:
    """Who calls, as the handler sees them: a signed-in user or a user's token;
    null for anonymous callers and operator tokens."""
    if actor.user_id is None:
        return None
    user = User.objects.filter(pk=actor.user_id).first()
    return None if user is None else user_summary(user)


def _body(request: HttpRequest) -> Any:
    return parse_json(request.body) if request.body else None


def _run(request: HttpRequest, plugin_id: str, route: str, body: Any) -> Status[Any]:
    actor = actor_of(request)
    plugin, spec = runtime.find_route(plugin_id, route)
    if not spec.public:
        actor.require(spec.permission)
    answer = runtime.call_route(
        plugin,
        route,
        method=request.method or "GET",
        query=dict(request.GET.items()),
        body=body,
        user=_user(actor),
    )
    if answer.unchanged:
        return Status(204, None)
    return Status(200, answer.value)


@router.get(
    "/{plugin_id}/{route}",
    response={200: Any, 204: None},
    operation_id="get_plugin_route",
    url_name="get_plugin_route",
    summary="Call a plugin's route with GET",
    description=DESCRIPTION,
)
def get_plugin_route(request: HttpRequest, plugin_id: str, route: str) -> Status[Any]:
    return _run(request, plugin_id, route, None)


@router.post(
    "/{plugin_id}/{route}",
    response={200: Any, 204: None},
    operation_id="post_plugin_route",
    url_name="post_plugin_route",
    summary="Call a plugin's route with POST and a JSON body",
    description=DESCRIPTION,
    openapi_extra=ANY_JSON_BODY,
)
def post_plugin_route(request: HttpRequest, plugin_id: str, route: str) -> Status[Any]:
    return _run(request, plugin_id, route, _body(request))
