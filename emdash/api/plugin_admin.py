"""Managing plugins: /_emdash/api/admin/plugins (reading needs plugins:read,
editors and up; changing needs plugins:manage, administrators; the services check).

Kept apart from the plugins' own routes at /plugins/{plugin_id}/{route}, whose
names would collide with sub-resources such as ``logs``. A bundle is uploaded as
multipart form data; ``dry_run`` answers what installing it would ask for, without
installing.
"""

from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Body, File, Form, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile

from emdash.api.auth import actor_of
from emdash.core.errors import PayloadTooLarge
from emdash.plugins import services
from emdash.plugins.bundle import MAX_BUNDLE_BYTES
from emdash.plugins.capabilities import split_grant
from emdash.plugins.schemas import (
    PluginConsentOut,
    PluginDetailOut,
    PluginListOut,
    PluginLogListOut,
    PluginOut,
    plugin_consent_out,
    plugin_detail_out,
    plugin_log_out,
    plugin_out,
)

router = Router(tags=["plugins"])

# Room for the form's other fields and the multipart boundaries around the bundle.
MAX_UPLOAD_BYTES = MAX_BUNDLE_BYTES + 64 * 1024


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"A plugin bundle may be at most {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB.",
        details={"max_bytes": MAX_BUNDLE_BYTES},
    )


def _refuse_oversized_uploads(
    run: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Refuse an upload by its declared length, before any of it is read (Django
    would otherwise spool any size to disk first)."""

    @wraps(run)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > MAX_UPLOAD_BYTES:
            raise _too_large()
        return run(request, *args, **kwargs)

    return checked


@router.get(
    "",
    response=PluginListOut,
    operation_id="list_plugins",
    url_name="list_plugins",
    summary="List installed plugins by id",
)
def list_plugins(request: HttpRequest) -> PluginListOut:
    found = services.list_plugins(actor_of(request))
    return PluginListOut(items=[plugin_out(plugin) for plugin in found])


@router.post(
    "",
    response={200: PluginOut | PluginConsentOut, 201: PluginOut},
    operation_id="install_plugin",
    url_name="install_plugin",
    summary="Install or update a plugin from an uploaded bundle (.zip), or see "
    "what that would ask for (dry_run)",
    description=(
        "Multipart form data: `bundle`, a .zip of at most 16 MiB (413 "
        "PAYLOAD_TOO_LARGE); `grant`, the capabilities granted (repeated or "
        "comma-separated); `replace=true` to update the installed plugin of the same "
        "id (otherwise 409 PLUGIN_EXISTS); `dry_run=true` to answer what the bundle "
        "asks for and install nothing. The grant must cover `needs_grant` (422 "
        "PLUGIN_GRANT_REQUIRED) and name nothing beyond the manifest (422 "
        "PLUGIN_GRANT_BEYOND_MANIFEST); a capability the site's policy forbids is "
        "422 PLUGIN_CAPABILITY_FORBIDDEN. A bundle that cannot be read is 422 "
        "BUNDLE_INVALID or MANIFEST_INVALID; a module importing beyond its manifest "
        "422 PLUGIN_IMPORT_REFUSED, dry run or not. Answers 201 for a new plugin, "
        "200 for an update or a dry run."
    ),
)
@decorate_view(_refuse_oversized_uploads)
def install_plugin(
    request: HttpRequest,
    bundle: File[UploadedFile],
    grant: Form[list[str]] = [],  # noqa: B006 - ninja reads it, never mutated
    replace: Form[bool] = False,
    dry_run: Form[bool] = False,
) -> Status[PluginOut | PluginConsentOut]:
    if bundle.size is not None and bundle.size > MAX_BUNDLE_BYTES:
        raise _too_large()
    actor = actor_of(request)
    plan = services.plan_install(
        actor, bundle.read(), name=bundle.name or services.UPLOAD_NAME
    )
    if dry_run:
        return Status(200, plugin_consent_out(plan))
    plugin = services.install(
        actor, plan.validated, grant=split_grant(grant), replace=replace
    )
    return Status(201 if plan.installed is None else 200, plugin_out(plugin))


@router.get(
    "/{plugin_id}",
    response=PluginDetailOut,
    operation_id="get_plugin",
    url_name="get_plugin",
    summary="Get a plugin: its grants in plain words, settings (secrets masked) "
    "and settings schema",
)
def get_plugin(request: HttpRequest, plugin_id: str) -> PluginDetailOut:
    return plugin_detail_out(services.get_plugin(actor_of(request), plugin_id))


@router.post(
    "/{plugin_id}/enable",
    response=PluginOut,
    operation_id="enable_plugin",
    url_name="enable_plugin",
    summary="Turn a plugin on, in every process",
    description="Refused (422 PLUGIN_CAPABILITY_FORBIDDEN) when the site's policy "
    "now forbids one of its capabilities.",
)
def enable_plugin(request: HttpRequest, plugin_id: str) -> PluginOut:
    return plugin_out(services.enable(actor_of(request), plugin_id))


@router.post(
    "/{plugin_id}/disable",
    response=PluginOut,
    operation_id="disable_plugin",
    url_name="disable_plugin",
    summary="Turn a plugin off: its hooks and routes stop; its data stays",
)
def disable_plugin(request: HttpRequest, plugin_id: str) -> PluginOut:
    return plugin_out(services.disable(actor_of(request), plugin_id))


@router.patch(
    "/{plugin_id}/settings",
    response=PluginDetailOut,
    operation_id="update_plugin_settings",
    url_name="update_plugin_settings",
    summary="Set some of a plugin's settings; null removes one",
    description="A JSON object of setting keys and values, checked against the "
    "manifest (422 PLUGIN_SETTINGS_INVALID naming each key); keys left out stay "
    "as they are. A secret is stored encrypted and answered only as set or unset.",
)
def update_plugin_settings(
    request: HttpRequest, plugin_id: str, values: Body[dict[str, Any]]
) -> PluginDetailOut:
    plugin = services.update_settings(actor_of(request), plugin_id, values)
    return plugin_detail_out(plugin)


@router.delete(
    "/{plugin_id}",
    response=PluginOut,
    operation_id="uninstall_plugin",
    url_name="uninstall_plugin",
    summary="Uninstall a plugin, keeping its data unless keep_data=false",
)
def uninstall_plugin(
    request: HttpRequest,
    plugin_id: str,
    keep_data: Annotated[
        bool,
        Query(
            description="false also deletes its key-value store, documents and "
            "logs; its settings go either way"
        ),
    ] = True,
) -> PluginOut:
    removed = services.uninstall(actor_of(request), plugin_id, keep_data=keep_data)
    return plugin_out(removed)


@router.get(
    "/{plugin_id}/logs",
    response=PluginLogListOut,
    operation_id="list_plugin_logs",
    url_name="list_plugin_logs",
    summary="A plugin's recent log and error records, newest first",
)
def list_plugin_logs(
    request: HttpRequest,
    plugin_id: str,
    level: Annotated[
        str | None,
        Query(description="Only this level and above: debug, info, warning, error"),
    ] = None,
    limit: Annotated[int, Query(description="1-500")] = services.DEFAULT_LOG_LIMIT,
) -> PluginLogListOut:
    records = services.logs(actor_of(request), plugin_id, limit, level)
    return PluginLogListOut(items=[plugin_log_out(record) for record in records])
