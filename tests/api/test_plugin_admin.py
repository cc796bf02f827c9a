"""Managing plugins over REST: /_emdash/api/admin/plugins. Bundles are real WAT
modules, zipped and uploaded as multipart form data, as the admin and the remote
CLI send them."""

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client

from emdash.api.plugin_admin import MAX_UPLOAD_BYTES
from emdash.core.models import AuditEvent
from emdash.plugins import services
from emdash.plugins.bundle import MAX_BUNDLE_BYTES, bundle_zip
from emdash.plugins.models import Plugin, PluginLog, PluginValue
from tests.api.conftest import (
    API,
    bearer,
    csrf_header,
    error,
    iso,
    send,
    session_client,
    token_for,
)
from tests.factories import make_user
from tests.plugins.bundles import MAIL_PLUGIN, make_bundle, manifest_for, module_wasm
from tests.plugins.sandbox.wat import answering

pytestmark = pytest.mark.django_db

SETTINGS: dict[str, Any] = {
    "recipient": {"type": "email", "label": "Send to", "required": True},
    "api_key": {"type": "secret", "label": "API key"},
    "mode": {
        "type": "select",
        "label": "Mode",
        "options": ["fast", "slow"],
        "default": "fast",
        "help": "How hard it tries",
    },
}
TOO_LARGE = error(
    "PAYLOAD_TOO_LARGE",
    "A plugin bundle may be at most 16 MiB.",
    max_bytes=MAX_BUNDLE_BYTES,
)


def zipped(tmp_path: Path, **options: Any) -> bytes:
    """A test bundle (``make_bundle``'s options) as the bytes of its .zip."""
    return bundle_zip(make_bundle(tmp_path, **options))


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def upload(
    client: Client,
    data: bytes,
    headers: dict[str, str],
    *,
    name: str = "demo.zip",
    **fields: Any,
) -> HttpResponse:
    """POST /admin/plugins with ``data`` as the bundle and form ``fields``."""
    bundle = SimpleUploadedFile(name, data, content_type="application/zip")
    return client.post(
        f"{API}/admin/plugins", {"bundle": bundle, **fields}, headers=headers
    )


def plugin_json(plugin_id: str = "demo") -> dict[str, Any]:
    """The plugin as the API shows it (PluginOut), read fresh."""
    plugin = Plugin.objects.get(pk=plugin_id)
    return {
        "id": plugin.id,
        "name": plugin.name,
        "version": plugin.version,
        "enabled": plugin.enabled,
        "capabilities": plugin.granted,
        "description": plugin.manifest["description"],
        "author": plugin.manifest["author"],
        "license": plugin.manifest["license"],
        "hooks": sorted(plugin.manifest["hooks"]),
        "routes": sorted(plugin.manifest["routes"]),
        "missing_settings": [
            key
            for key, spec in plugin.manifest["settings"].items()
            if spec["required"] and key not in plugin.settings and "default" not in spec
        ],
        "installed_at": iso(plugin.installed_at),
        "updated_at": iso(plugin.updated_at),
    }


# -- installing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grant",
    [
        ["content:read", "email:send"],
        "email:send, content:read",
        ["email:send,", " content:read"],
    ],
    ids=["repeated", "comma-separated", "both"],
)
def test_install_with_the_grant_answers_201_and_the_plugin(
    client, tmp_path, admin, grant
):
    data = zipped(tmp_path, **MAIL_PLUGIN)

    response = upload(client, data, admin, grant=grant)

    assert response.status_code == 201, response.content
    assert response.json() == plugin_json()
    plugin = Plugin.objects.get()
    assert (plugin.enabled, plugin.granted, plugin.installed_by) == (
        True,
        ["content:read", "email:send"],
        "token test",
    )
    event = AuditEvent.objects.get(action="plugin.install")
    assert (event.actor_label, event.target_id) == ("token test", "demo")


def test_a_granted_capability_covers_what_it_implies(client, tmp_path, admin):
    data = zipped(tmp_path, capabilities=["content:write", "content:read"])

    response = upload(client, data, admin, grant="content:write")

    assert response.status_code == 201, response.content
    assert response.json()["capabilities"] == ["content:read", "content:write"]


def test_install_without_the_grant_is_refused_naming_the_capabilities(
    client, tmp_path, admin
):
    data = zipped(tmp_path, **MAIL_PLUGIN)

    nothing = upload(client, data, admin)
    partial = upload(client, data, admin, grant="content:read")

    assert nothing.status_code == 422
    assert nothing.json() == error(
        "PLUGIN_GRANT_REQUIRED",
        "Plugin 'demo' asks for capabilities that were not granted: content:read "
        "(read all content, including drafts); email:send (send email from this "
        "site).",
        plugin="demo",
        missing=["content:read", "email:send"],
    )
    assert partial.json()["error"]["details"]["missing"] == ["email:send"]
    assert not Plugin.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="plugin.").exists()


def test_a_grant_beyond_the_manifest_is_refused(client, tmp_path, admin):
    data = zipped(tmp_path, capabilities=["content:read"])

    response = upload(client, data, admin, grant=["content:read", "users:read", "x"])

    assert response.status_code == 422
    assert response.json() == error(
        "PLUGIN_GRANT_BEYOND_MANIFEST",
        "The grant for plugin 'demo' names capabilities its manifest does not "
        "declare: users:read, x (not a capability). A grant covers only what the "
        "manifest declares.",
        plugin="demo",
        capabilities=["users:read", "x"],
    )
    assert not Plugin.objects.exists()


def test_a_plugin_declaring_no_capabilities_installs_without_a_grant(
    client, tmp_path, admin
):
    response = upload(client, zipped(tmp_path), admin)

    assert response.status_code == 201, response.content
    assert response.json()["capabilities"] == []


def test_a_dry_run_answers_what_the_bundle_asks_for_and_installs_nothing(
    client, tmp_path, admin
):
    folder = make_bundle(
        tmp_path,
        capabilities=["content:read", "network:request"],
        imports=["content_get", "http_fetch"],
        routes={"stats": {}},
        settings=SETTINGS,
    )
    wasm = (folder / "plugin.wasm").read_bytes()

    response = upload(client, bundle_zip(folder), admin, dry_run="true")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "manifest": {
            "id": "demo",
            "name": "Demo plugin",
            "version": "1.0.0",
            "license": "MIT",
            "abi": "emdash/0",
            "description": "The demo test plugin.",
            "author": "Tests",
            "hooks": [],
            "routes": ["stats"],
            "settings": ["recipient", "api_key", "mode"],
            "storage": [],
            "allowed_hosts": ["hooks.example.com"],
        },
        "capabilities": [
            {
                "name": "content:read",
                "description": "Read all content, including drafts",
            },
            {
                "name": "network:request",
                "description": "Make web requests to the hosts it lists: "
                "hooks.example.com",
            },
        ],
        "imports": ["emdash.content_get", "emdash.http_fetch"],
        "sha256": hashlib.sha256(wasm).hexdigest(),
        "wasm_bytes": len(wasm),
        "installed_version": None,
        "needs_grant": ["content:read", "network:request"],
        "forbidden": {},
    }
    assert not Plugin.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="plugin.").exists()


def test_an_update_needs_replace_and_a_grant_for_what_is_new(client, tmp_path, admin):
    first = zipped(tmp_path, capabilities=["content:read"])
    assert upload(client, first, admin, grant="content:read").status_code == 201
    newer = zipped(
        tmp_path, version="2.0.0", capabilities=["content:read", "email:send"]
    )

    again = upload(client, newer, admin, grant="content:read,email:send")
    dry_run = upload(client, newer, admin, dry_run="true", replace="true")
    ungranted = upload(client, newer, admin, replace="true")
    unchanged = Plugin.objects.get().version
    updated = upload(client, newer, admin, replace="true", grant="email:send")

    assert again.status_code == 409
    assert again.json() == error(
        "PLUGIN_EXISTS",
        "Plugin 'demo' is installed already (version 1.0.0); install it as a "
        "replacement to update it.",
        plugin="demo",
        version="1.0.0",
    )
    assert dry_run.status_code == 200
    assert (
        dry_run.json()["installed_version"],
        dry_run.json()["needs_grant"],
    ) == ("1.0.0", ["email:send"])
    assert ungranted.status_code == 422
    assert ungranted.json()["error"]["code"] == "PLUGIN_GRANT_REQUIRED"
    assert ungranted.json()["error"]["details"] == {
        "plugin": "demo",
        "missing": ["email:send"],
    }
    assert unchanged == "1.0.0"
    assert updated.status_code == 200, updated.content
    assert updated.json() == plugin_json()
    assert (updated.json()["version"], updated.json()["capabilities"]) == (
        "2.0.0",
        ["content:read", "email:send"],
    )


def test_the_site_policy_forbids_a_capability(client, tmp_path, admin, settings):
    settings.PLUGIN_FORBIDDEN_CAPABILITIES = ["content:read"]
    data = zipped(tmp_path, capabilities=["content:write", "email:send"])

    dry_run = upload(client, data, admin, dry_run="true")
    refused = upload(client, data, admin, grant="content:write,email:send")

    assert dry_run.json()["forbidden"] == {"content:write": ["content:read"]}
    assert refused.status_code == 422
    assert refused.json() == error(
        "PLUGIN_CAPABILITY_FORBIDDEN",
        "Plugin 'demo' asks for capabilities this site's policy forbids: "
        "content:write (which includes content:read).",
        plugin="demo",
        capabilities=["content:write"],
    )
    assert not Plugin.objects.exists()


def bundle_invalid(file: str, problem: str) -> dict[str, Any]:
    return error(
        "BUNDLE_INVALID",
        f"Invalid plugin bundle 'demo.zip': {file} {problem}.",
        fields={file: problem},
    )


VALID_FILES = {
    "manifest.json": json.dumps(manifest_for()).encode(),
    "plugin.wasm": module_wasm(),
}


@pytest.mark.parametrize(
    ("data", "answer"),
    [
        (
            b"not a zip at all",
            bundle_invalid("demo.zip", "is not a readable zip archive"),
        ),
        (
            zip_of({**VALID_FILES, "../evil.sh": b"rm -rf /"}),
            bundle_invalid("../evil.sh", "points outside the bundle (..)"),
        ),
        (
            zip_of({**VALID_FILES, "/etc/passwd": b"root"}),
            bundle_invalid("/etc/passwd", "is an absolute path"),
        ),
        (
            zip_of({"plugin.wasm": module_wasm()}),
            bundle_invalid("manifest.json", "is missing"),
        ),
        (
            zip_of({**VALID_FILES, "plugin.wasm": b"MZ\x90\x00"}),
            bundle_invalid("plugin.wasm", "is not a WebAssembly module"),
        ),
        (
            zip_of(
                {
                    "manifest.json": json.dumps(
                        manifest_for(capabilities=["content:read"])
                    ).encode(),
                    "plugin.wasm": module_wasm(imports=["content_get", "email_send"]),
                }
            ),
            error(
                "PLUGIN_IMPORT_REFUSED",
                "plugin 'demo' imports emdash.email_send, which needs the "
                "capability email:send; its manifest declares: content:read",
                plugin="demo",
                capability="email:send",
                **{"import": "emdash.email_send"},
            ),
        ),
    ],
    ids=[
        "not a zip",
        "zip slip",
        "absolute path",
        "no manifest",
        "not wasm",
        "import beyond the manifest",
    ],
)
@pytest.mark.parametrize("dry_run", ["false", "true"])
def test_a_bad_bundle_is_refused_and_nothing_is_installed(
    client, admin, data, answer, dry_run
):
    response = upload(
        client, data, admin, grant="content:read,email:send", dry_run=dry_run
    )

    assert response.status_code == 422
    assert response.json() == answer
    assert not Plugin.objects.exists()


def test_a_manifest_with_problems_is_refused_listing_them(client, admin):
    manifest = manifest_for(id="Bad Id", capabilities=["telepathy"])
    data = zip_of({**VALID_FILES, "manifest.json": json.dumps(manifest).encode()})

    response = upload(client, data, admin)

    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "MANIFEST_INVALID"
    assert set(body["details"]["fields"]) == {"id", "capabilities[0]"}
    assert not Plugin.objects.exists()


def test_an_upload_needs_a_bundle_file(client, admin):
    as_json = send(client, "POST", "/admin/plugins", {"bundle": "x"}, admin)
    only_fields = client.post(
        f"{API}/admin/plugins", {"grant": "content:read"}, headers=admin
    )
    bad_flag = upload(client, zip_of(VALID_FILES), admin, dry_run="maybe")

    for response in (as_json, only_fields):
        assert response.status_code == 422
        assert response.json() == error(
            "VALIDATION_ERROR",
            "The request is invalid (bundle: is required).",
            fields={"bundle": "is required"},
        )
    assert bad_flag.status_code == 422
    assert list(bad_flag.json()["error"]["details"]["fields"]) == ["dry_run"]
    assert not Plugin.objects.exists()


def test_an_oversized_bundle_is_refused(client, admin):
    response = upload(client, b"\0" * (MAX_BUNDLE_BYTES + 1), admin)

    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert not Plugin.objects.exists()


def test_an_oversized_upload_is_refused_before_its_body_is_read(client, admin):
    # The test client's body is far shorter than declared: reading it would fail.
    bundle = SimpleUploadedFile("demo.zip", b"x")
    response = client.post(
        f"{API}/admin/plugins",
        {"bundle": bundle},
        headers=admin,
        CONTENT_LENGTH=str(MAX_UPLOAD_BYTES + 1),
    )

    assert response.status_code == 413
    assert response.json() == TOO_LARGE


# -- reading -------------------------------------------------------------------------


def test_list_answers_every_plugin_by_id(client, tmp_path, admin):
    empty = send(client, "GET", "/admin/plugins", headers=admin)
    upload(client, zipped(tmp_path, id="zeta"), admin)
    upload(
        client,
        zipped(tmp_path, **MAIL_PLUGIN),
        admin,
        grant=MAIL_PLUGIN["capabilities"],
    )

    listed = send(client, "GET", "/admin/plugins", headers=admin)

    assert empty.json() == {"items": [], "next_cursor": None}
    assert listed.status_code == 200
    assert listed.json() == {
        "items": [plugin_json("demo"), plugin_json("zeta")],
        "next_cursor": None,
    }


def test_get_answers_the_grants_in_words_settings_and_their_schema(
    client, tmp_path, admin
):
    data = zipped(
        tmp_path,
        capabilities=["network:request"],
        settings=SETTINGS,
        readme="# Demo\n",
    )
    upload(client, data, admin, grant="network:request")

    response = send(client, "GET", "/admin/plugins/demo", headers=admin)
    missing = send(client, "GET", "/admin/plugins/ghost", headers=admin)

    assert response.status_code == 200, response.content
    plugin = Plugin.objects.get()
    assert response.json() == plugin_json() | {
        "granted": [
            {
                "name": "network:request",
                "description": "Make web requests to the hosts it lists: "
                "hooks.example.com",
            }
        ],
        "allowed_hosts": ["hooks.example.com"],
        "settings": {"recipient": None, "api_key": "unset", "mode": "fast"},
        "settings_schema": {
            "recipient": {
                "type": "email",
                "label": "Send to",
                "required": True,
                "help": "",
                "options": [],
                "default": None,
            },
            "api_key": {
                "type": "secret",
                "label": "API key",
                "required": False,
                "help": "",
                "options": [],
                "default": None,
            },
            "mode": {
                "type": "select",
                "label": "Mode",
                "required": False,
                "help": "How hard it tries",
                "options": ["fast", "slow"],
                "default": "fast",
            },
        },
        "readme": "# Demo\n",
        "sha256": plugin.wasm_sha256,
        "installed_by": "token test",
    }
    assert missing.status_code == 404
    assert missing.json() == error(
        "PLUGIN_NOT_FOUND", "No plugin 'ghost' is installed.", plugin="ghost"
    )


# -- enabling and disabling ----------------------------------------------------------


def test_disabling_stops_its_routes_and_enabling_brings_them_back(
    client, tmp_path, admin
):
    data = zipped(tmp_path, wasm=answering('{"ok":{"hits":3}}'), routes={"stats": {}})
    upload(client, data, admin)

    before = send(client, "GET", "/plugins/demo/stats", headers=admin)
    disabled = send(client, "POST", "/admin/plugins/demo/disable", headers=admin)
    while_disabled = send(client, "GET", "/plugins/demo/stats", headers=admin)
    enabled = send(client, "POST", "/admin/plugins/demo/enable", headers=admin)
    after = send(client, "GET", "/plugins/demo/stats", headers=admin)

    assert before.json() == after.json() == {"hits": 3}
    assert disabled.status_code == 200
    assert disabled.json()["enabled"] is False
    assert while_disabled.status_code == 404
    assert while_disabled.json()["error"]["code"] == "PLUGIN_ROUTE_NOT_FOUND"
    assert enabled.json() == plugin_json()
    assert enabled.json()["enabled"] is True
    events = AuditEvent.objects.filter(target_id="demo").order_by("at")
    assert list(events.values_list("action", flat=True)) == [
        "plugin.install",
        "plugin.disable",
        "plugin.enable",
    ]


def test_enable_is_refused_when_the_policy_now_forbids_a_capability(
    client, tmp_path, admin, settings
):
    upload(
        client, zipped(tmp_path, capabilities=["email:send"]), admin, grant="email:send"
    )
    send(client, "POST", "/admin/plugins/demo/disable", headers=admin)
    settings.PLUGIN_FORBIDDEN_CAPABILITIES = ["email:send"]

    response = send(client, "POST", "/admin/plugins/demo/enable", headers=admin)
    missing = send(client, "POST", "/admin/plugins/ghost/disable", headers=admin)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "PLUGIN_CAPABILITY_FORBIDDEN"
    assert Plugin.objects.get().enabled is False
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "PLUGIN_NOT_FOUND"


# -- settings ------------------------------------------------------------------------


def test_settings_are_checked_stored_and_a_secret_is_never_shown(
    client, tmp_path, admin
):
    upload(client, zipped(tmp_path, settings=SETTINGS), admin)

    response = send(
        client,
        "PATCH",
        "/admin/plugins/demo/settings",
        {"recipient": "ops@example.com", "api_key": "s3cret", "mode": "slow"},
        admin,
    )
    shown = send(client, "GET", "/admin/plugins/demo", headers=admin)

    assert response.status_code == 200, response.content
    assert response.json()["settings"] == {
        "recipient": "ops@example.com",
        "api_key": "set",
        "mode": "slow",
    }
    assert shown.json()["settings"] == response.json()["settings"]
    assert b"s3cret" not in response.content + shown.content
    stored = Plugin.objects.get().settings
    assert stored["recipient"] == "ops@example.com"
    assert "s3cret" not in stored["api_key"]

    removed = send(
        client, "PATCH", "/admin/plugins/demo/settings", {"api_key": None}, admin
    )

    assert removed.json()["settings"]["api_key"] == "unset"


def test_bad_settings_are_refused_naming_each_key(client, tmp_path, admin):
    upload(client, zipped(tmp_path, settings=SETTINGS), admin)
    path = "/admin/plugins/demo/settings"

    invalid = send(client, "PATCH", path, {"recipient": "nobody", "colour": 1}, admin)
    required = send(client, "PATCH", path, {"mode": "slow"}, admin)
    not_an_object = send(client, "PATCH", path, ["recipient"], admin)
    missing = send(client, "PATCH", "/admin/plugins/ghost/settings", {}, admin)

    assert invalid.status_code == 422
    assert invalid.json() == error(
        "PLUGIN_SETTINGS_INVALID",
        "The settings of plugin 'demo' are invalid: recipient: must be a valid "
        "email address; colour: unknown setting (this plugin has: api_key, mode, "
        "recipient).",
        fields={
            "recipient": "must be a valid email address",
            "colour": "unknown setting (this plugin has: api_key, mode, recipient)",
        },
    )
    assert required.json()["error"]["details"] == {
        "fields": {"recipient": "is required"}
    }
    assert not_an_object.status_code == 422
    assert not_an_object.json()["error"]["code"] == "VALIDATION_ERROR"
    assert missing.status_code == 404
    assert Plugin.objects.get().settings == {}


# -- uninstalling --------------------------------------------------------------------


def test_uninstall_keeps_the_data_unless_told_otherwise(client, tmp_path, admin):
    data = zipped(tmp_path)
    upload(client, data, admin)
    PluginValue.objects.create(plugin_id="demo", key="count", value=1)
    as_it_was = plugin_json()

    kept = send(client, "DELETE", "/admin/plugins/demo", headers=admin)

    assert kept.status_code == 200
    assert kept.json() == as_it_was
    assert not Plugin.objects.exists()
    assert PluginValue.objects.filter(plugin_id="demo").count() == 1

    upload(client, data, admin)
    deleted = send(
        client, "DELETE", "/admin/plugins/demo?keep_data=false", headers=admin
    )
    again = send(client, "DELETE", "/admin/plugins/demo", headers=admin)

    assert deleted.status_code == 200
    assert not PluginValue.objects.exists()
    assert not PluginLog.objects.exists()
    assert [
        event.data["keep_data"]
        for event in AuditEvent.objects.filter(action="plugin.uninstall").order_by("at")
    ] == [True, False]
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "PLUGIN_NOT_FOUND"


# -- logs ----------------------------------------------------------------------------


def test_logs_answer_recent_records_by_level_and_limit(client, tmp_path, admin):
    upload(client, zipped(tmp_path), admin)
    services.record_log("demo", "warning", "slow answer", hook="content:afterSave")
    services.record_log(
        "demo", "error", "failed (fuel)", hook="content:beforeSave", data={"x": 1}
    )

    every = send(client, "GET", "/admin/plugins/demo/logs", headers=admin)
    warnings = send(
        client, "GET", "/admin/plugins/demo/logs?level=warning", headers=admin
    )
    newest = send(client, "GET", "/admin/plugins/demo/logs?limit=1", headers=admin)

    assert every.status_code == 200
    records = every.json()["items"]
    assert [(r["level"], r["hook"], r["message"]) for r in records] == [
        ("error", "content:beforeSave", "failed (fuel)"),
        ("warning", "content:afterSave", "slow answer"),
        ("info", "", "installed version 1.0.0 by token test"),
    ]
    assert records[0]["data"] == {"x": 1}
    assert every.json()["next_cursor"] is None
    assert warnings.json()["items"] == records[:2]
    assert newest.json()["items"] == records[:1]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?level=loud", 422, {"level": "must be one of debug, info, warning, error"}),
        ("?limit=0", 422, {"limit": "must be between 1 and 500"}),
        ("?limit=many", 422, None),
    ],
)
def test_bad_log_queries_are_refused(client, tmp_path, admin, query, status, field):
    upload(client, zipped(tmp_path), admin)

    response = send(client, "GET", f"/admin/plugins/demo/logs{query}", headers=admin)

    assert response.status_code == status
    if field is not None:
        assert response.json()["error"]["details"] == {"fields": field}
    else:
        assert list(response.json()["error"]["details"]["fields"]) == ["limit"]


def test_logs_of_an_unknown_plugin(client, admin):
    response = send(client, "GET", "/admin/plugins/ghost/logs", headers=admin)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "PLUGIN_NOT_FOUND"


# -- who may ---------------------------------------------------------------------------


def refused(response: HttpResponse, permission: str) -> bool:
    return (response.status_code, response.json()["error"]["code"]) == (
        403,
        "FORBIDDEN",
    ) and response.json()["error"]["details"] == {"permission": permission}


@pytest.mark.parametrize("role", ["editor", "author"])
def test_editors_read_plugins_but_only_administrators_change_them(
    client, tmp_path, admin, role
):
    upload(client, zipped(tmp_path, id="zeta"), admin)
    user = make_user(role)
    client.force_login(user)
    may_read = role == "editor"

    listed = send(client, "GET", "/admin/plugins")
    detail = send(client, "GET", "/admin/plugins/zeta")
    logs = send(client, "GET", "/admin/plugins/zeta/logs")
    writes = [
        upload(client, zipped(tmp_path), {}),
        upload(client, zipped(tmp_path), {}, dry_run="true"),
        send(client, "POST", "/admin/plugins/zeta/disable"),
        send(client, "PATCH", "/admin/plugins/zeta/settings", {}),
        send(client, "DELETE", "/admin/plugins/zeta"),
    ]

    for read in (listed, detail, logs):
        if may_read:
            assert read.status_code == 200, read.content
        else:
            assert refused(read, "plugins:read"), read.content
    for write in writes:
        assert refused(write, "plugins:manage"), write.content
    assert list(Plugin.objects.values_list("id", "enabled")) == [("zeta", True)]
    assert AuditEvent.objects.filter(action__startswith="plugin.").count() == 1


def test_anonymous_callers_must_sign_in(client, tmp_path, admin):
    upload(client, zipped(tmp_path, id="zeta"), admin)

    listed = send(client, "GET", "/admin/plugins")
    uploaded = upload(client, zipped(tmp_path), {})
    disabled = send(client, "POST", "/admin/plugins/zeta/disable")

    for response in (listed, uploaded, disabled):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert list(Plugin.objects.values_list("id", "enabled")) == [("zeta", True)]


def test_plugin_scopes_grant_reading_and_managing(client, tmp_path, admin):
    upload(client, zipped(tmp_path, id="zeta"), admin)
    reader = bearer(token_for("plugins:read"))
    manager = bearer(token_for("plugins:manage"))

    reader_lists = send(client, "GET", "/admin/plugins", headers=reader)
    reader_disables = send(
        client, "POST", "/admin/plugins/zeta/disable", headers=reader
    )
    manager_lists = send(client, "GET", "/admin/plugins", headers=manager)
    manager_disables = send(
        client, "POST", "/admin/plugins/zeta/disable", headers=manager
    )

    assert reader_lists.status_code == 200
    assert refused(reader_disables, "plugins:manage")
    assert manager_lists.status_code == 200
    assert manager_disables.status_code == 200
    assert not Plugin.objects.get().enabled


def test_tokens_need_a_plugin_scope_and_a_users_token_their_role(
    client, tmp_path, admin
):
    upload(client, zipped(tmp_path, id="zeta"), admin)
    writer = bearer(token_for("content:write", "settings:manage"))
    editors = bearer(token_for("admin", user=make_user("editor")))

    responses = {
        "writer lists": send(client, "GET", "/admin/plugins", headers=writer),
        "writer installs": upload(client, zipped(tmp_path), writer),
        "editor lists": send(client, "GET", "/admin/plugins", headers=editors),
        "editor installs": upload(client, zipped(tmp_path), editors),
    }

    assert refused(responses["writer lists"], "plugins:read")
    assert refused(responses["writer installs"], "plugins:manage")
    assert responses["editor lists"].status_code == 200
    assert refused(responses["editor installs"], "plugins:manage")
    assert list(Plugin.objects.values_list("id", flat=True)) == ["zeta"]


def test_a_session_upload_needs_the_csrf_token(tmp_path):
    client = session_client(make_user("administrator"), enforce_csrf_checks=True)
    data = zipped(tmp_path)

    forged = upload(client, data, {})
    sent = upload(client, data, csrf_header(client))

    assert forged.status_code == 403
    assert forged.json()["error"]["code"] == "CSRF_FAILED"
    assert sent.status_code == 201, sent.content
    assert Plugin.objects.get().installed_by == "Administrator User"
