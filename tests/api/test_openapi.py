"""The OpenAPI document and the docs page: public, current, complete."""

import json
from pathlib import Path

from django.conf import settings

from emdash.api import api
from tests.api.conftest import API

SNAPSHOT = Path(settings.BASE_DIR) / "api" / "openapi.json"


def test_the_committed_openapi_snapshot_is_current(client):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    assert response.json() == json.loads(SNAPSHOT.read_text()), (
        "emdash/api/openapi.json is out of date: run `make openapi` and commit it"
    )


OPERATIONS = {
    "schema": [
        "list_collections",
        "create_collection",
        "get_collection",
        "update_collection",
        "delete_collection",
        "add_field",
        "update_field",
        "remove_field",
    ],
    "content": [
        "list_entries",
        "create_entry",
        "get_entry",
        "update_entry",
        "trash_entry",
        "delete_entry_permanently",
        "publish_entry",
        "unpublish_entry",
        "schedule_entry",
        "restore_entry",
        "duplicate_entry",
        "submit_entry",
        "list_revisions",
        "compare_revisions",
        "get_revision",
        "restore_revision",
    ],
    "taxonomies": [
        "list_taxonomies",
        "create_taxonomy",
        "get_taxonomy",
        "update_taxonomy",
        "delete_taxonomy",
        "list_terms",
        "create_term",
        "update_term",
        "delete_term",
    ],
    "menus": ["list_menus", "get_menu", "save_menu", "delete_menu"],
    "settings": ["get_settings", "update_settings"],
    "search": ["search"],
    "tokens": ["list_tokens", "create_token", "revoke_token"],
    "accounts": [
        "begin_passkey_sign_in",
        "finish_passkey_sign_in",
        "request_sign_in_link",
        "redeem_sign_in_link",
        "sign_out",
        "get_setup_status",
        "begin_setup",
        "finish_setup",
        "begin_invite_acceptance",
        "finish_invite_acceptance",
        "get_me",
        "sign_me_out_everywhere",
        "list_my_passkeys",
        "begin_add_passkey",
        "finish_add_passkey",
        "rename_passkey",
        "remove_passkey",
        "list_my_tokens",
        "create_my_token",
    ],
    "users": [
        "list_users",
        "get_user",
        "update_user",
        "delete_user",
        "sign_user_out_everywhere",
        "list_roles",
        "create_role",
        "get_role",
        "update_role",
        "delete_role",
        "list_invites",
        "create_invite",
        "resend_invite",
        "revoke_invite",
    ],
    "audit": ["list_audit_events"],
    "plugins": [
        "get_plugin_route",
        "post_plugin_route",
        "list_plugins",
        "install_plugin",
        "get_plugin",
        "enable_plugin",
        "disable_plugin",
        "update_plugin_settings",
        "uninstall_plugin",
        "list_plugin_logs",
    ],
    "cron": ["run_cron"],
}


def test_every_operation_is_named_summarised_tagged_and_documents_errors():
    schema = api.get_openapi_schema(path_prefix=f"{API}/")
    operations = [op for path in schema["paths"].values() for op in path.values()]

    by_tag: dict[str, list[str]] = {}
    for operation in operations:
        [tag] = operation["tags"]
        by_tag.setdefault(tag, []).append(operation["operationId"])
    assert {tag: sorted(ids) for tag, ids in by_tag.items()} == {
        tag: sorted(ids) for tag, ids in OPERATIONS.items()
    }
    assert all(operation["summary"] for operation in operations)
    assert all(
        operation["responses"]["default"]["content"]["application/json"]["schema"]
        == {"$ref": "#/components/schemas/ErrorOut"}
        for operation in operations
    )


def test_the_docs_page_uses_local_static_files(client):
    response = client.get(f"{API}/docs")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<script src="/static/ninja/swagger-ui-bundle.js">' in html
    assert 'href="/static/ninja/swagger-ui.css"' in html
    assert "cdn" not in html.lower()
    assert '"url": "/_emdash/api/openapi.json"' in html
