"""In-process handlers: each does what its REST route does, through the same
services and the same converters, as the system actor (the operator at the
machine). The services are imported when a handler runs, after Django is set
up, so the operation table can be read without them."""

import sys
from contextlib import AbstractContextManager, redirect_stdout
from datetime import datetime
from typing import Any

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
    invite_issued_out,
    invite_out,
    role_out,
    token_created_out,
    token_out,
    user_out,
)
from emdash.cli.client import Request
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
    SearchHitOut,
    SearchResultsOut,
    TaxonomyListOut,
    TaxonomyOut,
    TermListOut,
    TermOut,
    collection_out,
    entry_out,
    entry_page_out,
    menu_out,
    revision_out,
    taxonomy_out,
    term_out,
)
from emdash.core import paging
from emdash.core.actors import SYSTEM
from emdash.plugins.schemas import (
    PluginConsentOut,
    PluginDetailOut,
    PluginListOut,
    PluginLogListOut,
    PluginOut,
    ScheduledRunOut,
    plugin_consent_out,
    plugin_detail_out,
    plugin_log_out,
    plugin_out,
    scheduled_run_out,
)

FIELD_FILTER_PREFIX = "field."


# -- schema ----------------------------------------------------------------------------


def list_collections(request: Request) -> CollectionListOut:
    from emdash.content.services import collections

    found = collections.list_collections(SYSTEM)
    return CollectionListOut(items=[collection_out(c) for c in found])


def get_collection(request: Request) -> CollectionOut:
    from emdash.content.services import collections

    return collection_out(
        collections.get_collection(SYSTEM, request.path["collection"])
    )


def create_collection(request: Request) -> CollectionOut:
    from emdash.content.services import collections

    return collection_out(collections.create_collection(SYSTEM, request.body or {}))


def update_collection(request: Request) -> CollectionOut:
    from emdash.content.services import collections

    slug = request.path["collection"]
    return collection_out(
        collections.update_collection(SYSTEM, slug, request.body or {})
    )


def add_field(request: Request) -> FieldOut:
    from emdash.content.services import collections

    field = collections.add_field(
        SYSTEM, request.path["collection"], request.body or {}
    )
    return FieldOut.model_validate(field, from_attributes=True)


def update_field(request: Request) -> FieldChangeReportOut:
    from emdash.content.services import collections

    report = collections.update_field(
        SYSTEM,
        request.path["collection"],
        request.path["field"],
        request.body or {},
        force=bool(request.query.get("force")),
        dry_run=bool(request.query.get("dry_run")),
    )
    return FieldChangeReportOut(**report.as_dict())


def remove_field(request: Request) -> FieldChangeReportOut:
    from emdash.content.services import collections

    report = collections.remove_field(
        SYSTEM, request.path["collection"], request.path["field"]
    )
    return FieldChangeReportOut(**report.as_dict())


# -- content ---------------------------------------------------------------------------


def _entry_id(request: Request) -> str:
    """The entry the path names, by id or (as only the CLI allows) by slug."""
    from emdash.content.seed import find_entry_id
    from emdash.core.ids import is_ulid

    ref = request.path["entry"]
    # Slugs are lowercase and ids uppercase, so one never passes for the other.
    if ref.isupper() and is_ulid(ref):
        return ref
    # An unknown slug goes on as it is, for the service's ENTRY_NOT_FOUND.
    return find_entry_id(request.path["collection"], ref) or ref


def _field_filters(query: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """``field.price.gte=10`` -> ``("price", "gte", "10")``; no operator means eq."""
    found = []
    for key, value in query.items():
        if key.startswith(FIELD_FILTER_PREFIX):
            slug, _, op = key.removeprefix(FIELD_FILTER_PREFIX).partition(".")
            values = value if isinstance(value, list) else [value]
            found += [(slug, op or "eq", str(item)) for item in values]
    return tuple(found)


def list_entries(request: Request) -> EntryPageOut:
    from emdash.content import queries

    query = request.query
    filters = queries.EntryFilters(
        status=query.get("status"),
        term=query.get("term"),
        fields=_field_filters(query),
    )
    page = queries.list_entries(
        SYSTEM,
        request.path["collection"],
        filters=filters,
        sort=query.get("sort") or "-created_at",
        cursor=query.get("cursor"),
        limit=int(query.get("limit") or paging.DEFAULT_LIMIT),
    )
    return entry_page_out(page)


def get_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    collection = request.path["collection"]
    return entry_out(entries.get_entry(SYSTEM, collection, _entry_id(request)))


def create_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    collection = request.path["collection"]
    return entry_out(entries.create_entry(SYSTEM, collection, request.body or {}))


def update_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    collection = request.path["collection"]
    entry = entries.update_entry(
        SYSTEM, collection, _entry_id(request), request.body or {}
    )
    return entry_out(entry)


def _version(values: dict[str, Any] | None) -> int | None:
    return (values or {}).get("version")


def trash_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.trash_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        version=_version(request.query),
    )
    return entry_out(entry)


def publish_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.publish_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        version=_version(request.body),
    )
    return entry_out(entry)


def unpublish_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.unpublish_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        version=_version(request.body),
    )
    return entry_out(entry)


def schedule_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    body = request.body or {}
    entry = entries.schedule_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        at=body.get("scheduled_at"),
        version=_version(body),
    )
    return entry_out(entry)


def restore_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.restore_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        version=_version(request.body),
    )
    return entry_out(entry)


def duplicate_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    collection = request.path["collection"]
    return entry_out(entries.duplicate_entry(SYSTEM, collection, _entry_id(request)))


def submit_entry(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.submit_entry(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        version=_version(request.body),
    )
    return entry_out(entry)


def list_revisions(request: Request) -> RevisionListOut:
    from emdash.content.services import entries

    collection = request.path["collection"]
    revisions = entries.list_revisions(SYSTEM, collection, _entry_id(request))
    return RevisionListOut(items=[revision_out(r, r.entry) for r in revisions])


def restore_revision(request: Request) -> EntryOut:
    from emdash.content.services import entries

    entry = entries.restore_revision(
        SYSTEM,
        request.path["collection"],
        _entry_id(request),
        request.path["revision"],
        version=_version(request.body),
    )
    return entry_out(entry)


# -- taxonomies and menus --------------------------------------------------------------


def list_taxonomies(request: Request) -> TaxonomyListOut:
    from emdash.content.services import taxonomies

    found = taxonomies.list_taxonomies(SYSTEM)
    return TaxonomyListOut(items=[taxonomy_out(t) for t in found])


def create_taxonomy(request: Request) -> TaxonomyOut:
    from emdash.content.services import taxonomies

    return taxonomy_out(taxonomies.create_taxonomy(SYSTEM, request.body or {}))


def list_terms(request: Request) -> TermListOut:
    from emdash.content.services import taxonomies

    found = taxonomies.list_terms(SYSTEM, request.path["taxonomy"])
    return TermListOut(items=[term_out(t) for t in found])


def create_term(request: Request) -> TermOut:
    from emdash.content.services import taxonomies

    taxonomy = request.path["taxonomy"]
    return term_out(taxonomies.create_term(SYSTEM, taxonomy, request.body or {}))


def list_menus(request: Request) -> MenuListOut:
    from emdash.content.services import menus

    return MenuListOut(items=[menu_out(m) for m in menus.list_menus(SYSTEM)])


def get_menu(request: Request) -> MenuOut:
    from emdash.content.services import menus

    return menu_out(menus.get_menu(SYSTEM, request.path["menu"]))


def save_menu(request: Request) -> MenuOut:
    from emdash.content.services import menus

    body = request.body or {}
    menu = menus.save_menu(
        SYSTEM, request.path["menu"], label=body.get("label"), items=body.get("items")
    )
    return menu_out(menu)


# -- search, settings, tokens ----------------------------------------------------------


def search(request: Request) -> SearchResultsOut:
    from emdash.content import search as search_service

    hits = search_service.search(
        SYSTEM,
        request.query["q"],
        collections=request.query.get("collection"),
        limit=int(request.query.get("limit") or 20),
    )
    return SearchResultsOut(
        items=[SearchHitOut.model_validate(hit, from_attributes=True) for hit in hits]
    )


def get_settings(request: Request) -> SettingsOut:
    from emdash.core import site_settings

    return SettingsOut(site_settings.get_all(SYSTEM))


def create_token(request: Request) -> TokenCreatedOut:
    from emdash.accounts import tokens

    body = request.body or {}
    expires_at = body.get("expires_at")
    email = body.get("user")
    issued = tokens.create_token(
        SYSTEM,
        name=body.get("name", ""),
        scopes=body.get("scopes", []),
        user_email=email,
        expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
    )
    return token_created_out(issued)


def list_tokens(request: Request) -> TokenListOut:
    from emdash.accounts import tokens

    return TokenListOut(items=[token_out(t) for t in tokens.list_tokens(SYSTEM)])


def revoke_token(request: Request) -> TokenOut:
    from emdash.accounts import tokens

    return token_out(tokens.revoke_token(SYSTEM, request.path["token"]))


# -- users, roles, invites -------------------------------------------------------------


def list_users(request: Request) -> UserListOut:
    from emdash.accounts import users

    filters = users.UserFilters(
        role=request.query.get("role"),
        active=request.query.get("active"),
        query=(request.query.get("q") or "").strip(),
    )
    found = users.list_users(SYSTEM, filters)
    return UserListOut(items=[user_out(u) for u in found])


def get_user(request: Request) -> UserOut:
    from emdash.accounts import users

    return user_out(users.get_user(SYSTEM, request.path["user"]))


def update_user(request: Request) -> UserOut:
    from emdash.accounts import users

    changes = request.body or {}
    return user_out(users.update_user(SYSTEM, request.path["user"], **changes))


def delete_user(request: Request) -> NoContent:
    from emdash.accounts import users

    users.delete_user(SYSTEM, request.path["user"])
    return NoContent()


def sign_out_everywhere(request: Request) -> NoContent:
    from emdash.accounts import users

    users.sign_out_everywhere(SYSTEM, request.path["user"])
    return NoContent()


def list_roles(request: Request) -> RoleListOut:
    from emdash.accounts import roles

    return RoleListOut(items=[role_out(r) for r in roles.list_roles(SYSTEM)])


def get_role(request: Request) -> RoleOut:
    from emdash.accounts import roles

    return role_out(roles.get_role(SYSTEM, request.path["role"]))


def create_role(request: Request) -> RoleOut:
    from emdash.accounts import roles

    return role_out(roles.create_role(SYSTEM, **(request.body or {})))


def update_role(request: Request) -> RoleOut:
    from emdash.accounts import roles

    changes = request.body or {}
    return role_out(roles.update_role(SYSTEM, request.path["role"], **changes))


def delete_role(request: Request) -> NoContent:
    from emdash.accounts import roles

    roles.delete_role(SYSTEM, request.path["role"])
    return NoContent()


def mail_to_stderr() -> AbstractContextManager[object]:
    """Django's console mailer (the development default) prints mail on stdout,
    which holds the command's answer (a URL, JSON): let it print on stderr."""
    return redirect_stdout(sys.stderr)


def list_invites(request: Request) -> InviteListOut:
    from emdash.accounts import invites

    pending_only = not request.query.get("all")
    found = invites.list_invites(SYSTEM, pending_only=pending_only)
    return InviteListOut(items=[invite_out(i) for i in found])


def create_invite(request: Request) -> InviteIssuedOut:
    from emdash.accounts import invites

    body = request.body or {}
    with mail_to_stderr():
        issued, emailed = invites.create_invite(
            SYSTEM,
            email=body.get("email", ""),
            role=body.get("role", ""),
            send=body.get("send_email", True),
        )
    return invite_issued_out(issued, emailed)


def resend_invite(request: Request) -> InviteIssuedOut:
    from emdash.accounts import invites

    with mail_to_stderr():
        issued, emailed = invites.resend_invite(SYSTEM, request.path["invite"])
    return invite_issued_out(issued, emailed)


def revoke_invite(request: Request) -> InviteOut:
    from emdash.accounts import invites

    return invite_out(invites.revoke_invite(SYSTEM, request.path["invite"]))


# -- plugins ---------------------------------------------------------------------------


def list_plugins(request: Request) -> PluginListOut:
    from emdash.plugins import services

    found = services.list_plugins(SYSTEM)
    return PluginListOut(items=[plugin_out(plugin) for plugin in found])


def plan_plugin_install(request: Request) -> PluginConsentOut:
    from emdash.plugins import services

    name, data = request.files["bundle"]
    return plugin_consent_out(services.plan_install(SYSTEM, data, name=name))


def install_plugin(request: Request) -> PluginOut:
    from emdash.plugins import services

    name, data = request.files["bundle"]
    body = request.body or {}
    validated = services.validate_bundle(data, name=name)
    plugin = services.install(
        SYSTEM, validated, grant=body["grant"], replace=body["replace"]
    )
    return plugin_out(plugin)


def get_plugin(request: Request) -> PluginDetailOut:
    from emdash.plugins import services

    return plugin_detail_out(services.get_plugin(SYSTEM, request.path["plugin"]))


def enable_plugin(request: Request) -> PluginOut:
    from emdash.plugins import services

    return plugin_out(services.enable(SYSTEM, request.path["plugin"]))


def disable_plugin(request: Request) -> PluginOut:
    from emdash.plugins import services

    return plugin_out(services.disable(SYSTEM, request.path["plugin"]))


def update_plugin_settings(request: Request) -> PluginDetailOut:
    from emdash.plugins import services

    plugin = services.update_settings(
        SYSTEM, request.path["plugin"], request.body or {}
    )
    return plugin_detail_out(plugin)


def uninstall_plugin(request: Request) -> PluginOut:
    from emdash.plugins import services

    keep_data = request.query["keep_data"]
    return plugin_out(
        services.uninstall(SYSTEM, request.path["plugin"], keep_data=keep_data)
    )


def list_plugin_logs(request: Request) -> PluginLogListOut:
    from emdash.plugins import services

    query = request.query
    records = services.logs(
        SYSTEM, request.path["plugin"], query["limit"], query["level"]
    )
    return PluginLogListOut(items=[plugin_log_out(record) for record in records])


def run_cron(request: Request) -> ScheduledRunOut:
    from emdash.plugins import cron

    return scheduled_run_out(cron.run_scheduled(SYSTEM))
