"""The REST API at /_emdash/api/: one router per domain, each route a thin door
onto one service. docs/api.md is the reference; /_emdash/api/docs the live one."""

from importlib.metadata import PackageNotFoundError, version

from django.views.decorators.http import require_safe

from emdash.api import (
    accounts,
    audit,
    content,
    cron,
    menus,
    plugin_admin,
    plugins,
    schema,
    search,
    settings,
    taxonomies,
    tokens,
    users,
)
from emdash.api.application import EmDashAPI, JSONParser, PydanticJSONRenderer
from emdash.api.auth import BearerOrAnonymous
from emdash.api.errors import install as install_error_handlers

try:
    api_version = version("emdash")
except PackageNotFoundError:
    api_version = "0.1.0"

api = EmDashAPI(
    title="EmDash",
    version=api_version,
    description=(
        "Content, schema, taxonomies, menus, settings, search, tokens and "
        "accounts (sign-in, setup, invites, users, roles, the audit log). Send "
        "`Authorization: Bearer ec_pat_...`, or the admin's session cookie with the "
        "`X-CSRFToken` header on writes; without either you read live public "
        'content only. Errors are `{"error": {"code", "message", "details"}}`.'
    ),
    urls_namespace="emdash_api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=require_safe,
    auth=BearerOrAnonymous(),
    parser=JSONParser(),
    renderer=PydanticJSONRenderer(),
)
install_error_handlers(api)

api.add_router("/schema", schema.router)
api.add_router("/content", content.router)
api.add_router("/taxonomies", taxonomies.router)
api.add_router("/menus", menus.router)
api.add_router("/settings", settings.router)
api.add_router("/search", search.router)
api.add_router("/tokens", tokens.router)
api.add_router("", accounts.router)
api.add_router("", users.router)
api.add_router("/audit", audit.router)
api.add_router("/plugins", plugins.router)
api.add_router("/admin/plugins", plugin_admin.router)
api.add_router("/cron", cron.router)
