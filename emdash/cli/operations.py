"""Every operation the CLI performs, declared once: the REST route it maps to,
the model its answer parses into, and the in-process handler that does the same
through the services (``local.py``).

The table is built on first use, so ``emdash --help`` imports none of it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

    from emdash.cli.client import Request


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # under /_emdash/api, with {placeholders} for the path parameters
    output: "type[BaseModel]"
    local: "Callable[[Request], BaseModel]"


def operation(name: str) -> Operation:
    return operations()[name]


@cache
def operations() -> dict[str, Operation]:
    from emdash.accounts.schemas import (
        InviteIssuedOut,
        InviteListOut,
        InviteOut,
        RoleListOut,
        RoleOut,
        TokenCreatedOut,
        TokenListOut,
        TokenOut,
        UserListOut,
        UserOut,
    )
    from emdash.cli import local
    from emdash.cli.models import NoContent, SettingsOut
    from emdash.content.schemas import (
        CollectionListOut,
        CollectionOut,
        EntryOut,
        EntryPageOut,
        FieldChangeReportOut,
        FieldOut,
        MenuListOut,
        MenuOut,
        RevisionListOut,
        SearchResultsOut,
        TaxonomyListOut,
        TaxonomyOut,
        TermListOut,
        TermOut,
    )
    from emdash.plugins.schemas import (
        PluginConsentOut,
        PluginDetailOut,
        PluginListOut,
        PluginLogListOut,
        PluginOut,
        ScheduledRunOut,
    )

    collection = "/schema/collections/{collection}"
    entry = "/content/{collection}/{entry}"
    user = "/users/{user}"
    plugins = "/admin/plugins"
    plugin = "/admin/plugins/{plugin}"
    return {
        "schema.list": Operation(
            "GET", "/schema/collections", CollectionListOut, local.list_collections
        ),
        "schema.get": Operation("GET", collection, CollectionOut, local.get_collection),
        "schema.create": Operation(
            "POST", "/schema/collections", CollectionOut, local.create_collection
        ),
        "schema.update": Operation(
            "PATCH", collection, CollectionOut, local.update_collection
        ),
        "schema.add_field": Operation(
            "POST", f"{collection}/fields", FieldOut, local.add_field
        ),
        "schema.update_field": Operation(
            "PATCH",
            f"{collection}/fields/{{field}}",
            FieldChangeReportOut,
            local.update_field,
        ),
        "schema.remove_field": Operation(
            "DELETE",
            f"{collection}/fields/{{field}}",
            FieldChangeReportOut,
            local.remove_field,
        ),
        "content.list": Operation(
            "GET", "/content/{collection}", EntryPageOut, local.list_entries
        ),
        "content.get": Operation("GET", entry, EntryOut, local.get_entry),
        "content.create": Operation(
            "POST", "/content/{collection}", EntryOut, local.create_entry
        ),
        "content.update": Operation("PATCH", entry, EntryOut, local.update_entry),
        "content.trash": Operation("DELETE", entry, EntryOut, local.trash_entry),
        "content.publish": Operation(
            "POST", f"{entry}/publish", EntryOut, local.publish_entry
        ),
        "content.unpublish": Operation(
            "POST", f"{entry}/unpublish", EntryOut, local.unpublish_entry
        ),
        "content.schedule": Operation(
            "POST", f"{entry}/schedule", EntryOut, local.schedule_entry
        ),
        "content.restore": Operation(
            "POST", f"{entry}/restore", EntryOut, local.restore_entry
        ),
        "content.duplicate": Operation(
            "POST", f"{entry}/duplicate", EntryOut, local.duplicate_entry
        ),
        "content.submit": Operation(
            "POST", f"{entry}/submit", EntryOut, local.submit_entry
        ),
        "content.revisions": Operation(
            "GET", f"{entry}/revisions", RevisionListOut, local.list_revisions
        ),
        "content.restore_revision": Operation(
            "POST",
            f"{entry}/revisions/{{revision}}/restore",
            EntryOut,
            local.restore_revision,
        ),
        "taxonomy.list": Operation(
            "GET", "/taxonomies", TaxonomyListOut, local.list_taxonomies
        ),
        "taxonomy.create": Operation(
            "POST", "/taxonomies", TaxonomyOut, local.create_taxonomy
        ),
        "taxonomy.terms": Operation(
            "GET", "/taxonomies/{taxonomy}/terms", TermListOut, local.list_terms
        ),
        "taxonomy.add_term": Operation(
            "POST", "/taxonomies/{taxonomy}/terms", TermOut, local.create_term
        ),
        "menu.list": Operation("GET", "/menus", MenuListOut, local.list_menus),
        "menu.get": Operation("GET", "/menus/{menu}", MenuOut, local.get_menu),
        "menu.set": Operation("PUT", "/menus/{menu}", MenuOut, local.save_menu),
        "search": Operation("GET", "/search", SearchResultsOut, local.search),
        "settings.get": Operation("GET", "/settings", SettingsOut, local.get_settings),
        "token.create": Operation(
            "POST", "/tokens", TokenCreatedOut, local.create_token
        ),
        "token.list": Operation("GET", "/tokens", TokenListOut, local.list_tokens),
        "token.revoke": Operation(
            "DELETE", "/tokens/{token}", TokenOut, local.revoke_token
        ),
        "user.list": Operation("GET", "/users", UserListOut, local.list_users),
        "user.get": Operation("GET", user, UserOut, local.get_user),
        "user.update": Operation("PATCH", user, UserOut, local.update_user),
        "user.delete": Operation("DELETE", user, NoContent, local.delete_user),
        "user.sign_out_everywhere": Operation(
            "POST", f"{user}/sign-out-everywhere", NoContent, local.sign_out_everywhere
        ),
        "invite.list": Operation("GET", "/invites", InviteListOut, local.list_invites),
        "invite.create": Operation(
            "POST", "/invites", InviteIssuedOut, local.create_invite
        ),
        "invite.resend": Operation(
            "POST", "/invites/{invite}/resend", InviteIssuedOut, local.resend_invite
        ),
        "invite.revoke": Operation(
            "DELETE", "/invites/{invite}", InviteOut, local.revoke_invite
        ),
        "role.list": Operation("GET", "/roles", RoleListOut, local.list_roles),
        "role.get": Operation("GET", "/roles/{role}", RoleOut, local.get_role),
        "role.create": Operation("POST", "/roles", RoleOut, local.create_role),
        "role.update": Operation("PATCH", "/roles/{role}", RoleOut, local.update_role),
        "role.delete": Operation(
            "DELETE", "/roles/{role}", NoContent, local.delete_role
        ),
        "cron.run": Operation("POST", "/cron", ScheduledRunOut, local.run_cron),
        "plugin.list": Operation("GET", plugins, PluginListOut, local.list_plugins),
        # The install's route: with dry_run it answers what installing would ask for.
        "plugin.plan": Operation(
            "POST", plugins, PluginConsentOut, local.plan_plugin_install
        ),
        "plugin.install": Operation("POST", plugins, PluginOut, local.install_plugin),
        "plugin.get": Operation("GET", plugin, PluginDetailOut, local.get_plugin),
        "plugin.enable": Operation(
            "POST", f"{plugin}/enable", PluginOut, local.enable_plugin
        ),
        "plugin.disable": Operation(
            "POST", f"{plugin}/disable", PluginOut, local.disable_plugin
        ),
        "plugin.settings": Operation(
            "PATCH",
            f"{plugin}/settings",
            PluginDetailOut,
            local.update_plugin_settings,
        ),
        "plugin.uninstall": Operation(
            "DELETE", plugin, PluginOut, local.uninstall_plugin
        ),
        "plugin.logs": Operation(
            "GET", f"{plugin}/logs", PluginLogListOut, local.list_plugin_logs
        ),
    }
