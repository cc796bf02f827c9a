"""Human output: rich tables and key/value blocks for each kind of answer.

``--json`` skips all of this and prints the model's JSON (see ``runtime``)."""

from __future__ import annotations

import html
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from emdash.accounts.schemas import (
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
    from emdash.content.schemas import (
        CollectionListOut,
        CollectionOut,
        EntryOut,
        EntryPageOut,
        FieldChangeReportOut,
        FieldOut,
        MenuItemOut,
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
        PluginDetailOut,
        PluginListOut,
        PluginLogListOut,
        PluginOut,
        PluginValidationOut,
        ScheduledRunOut,
    )

# Lines as wide as this when the output is not a terminal (a pipe, a file, an
# agent's shell), so that tables are not folded at rich's default of 80.
PIPE_WIDTH = 160


def console() -> Console:
    # Made per call: the test runner swaps sys.stdout between invocations.
    width = None if sys.stdout.isatty() else PIPE_WIDTH
    return Console(highlight=False, soft_wrap=False, width=width)


def emit(renderable: RenderableType) -> None:
    """Print to stdout without the padding rich leaves at the end of lines."""
    if isinstance(renderable, str):
        # Plain text, not rich markup: "[...]" in a name must print as it is.
        renderable = Text(renderable)
    terminal = console()
    with terminal.capture() as captured:
        terminal.print(renderable)
    lines = [line.rstrip() for line in captured.get().splitlines()]
    sys.stdout.write("\n".join(lines) + "\n")


def when(value: datetime | None, *, zone: bool = True) -> str:
    """A time in UTC to the minute; ``zone=False`` where a heading says UTC."""
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M" + (" UTC" if zone else ""))


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


# Columns whose text may wrap; the others (ids, slugs, dates) stay on one line.
WRAPPING_COLUMNS = frozenset(
    {"TITLE", "SNIPPET", "FIELDS", "LABEL", "SCOPES", "NAME", "DESCRIPTION"}
)


def table(*columns: str) -> Table:
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        if column in WRAPPING_COLUMNS:
            grid.add_column(column, overflow="fold", ratio=1)
        else:
            grid.add_column(column, no_wrap=True)
    return grid


def fields(rows: list[tuple[str, Any]]) -> Table:
    """A two-column block of ``label  value`` lines."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for label, value in rows:
        grid.add_row(label, value if isinstance(value, Text) else Text(str(value)))
    return grid


def with_cursor(body: RenderableType, next_cursor: str | None) -> RenderableType:
    if not next_cursor:
        return body
    return Group(body, Text(f"More: --cursor {next_cursor}"))


def empty(what: str) -> Text:
    return Text(f"No {what}.")


# -- content ------------------------------------------------------------------------


def terms_text(terms: dict[str, list[dict[str, str]]]) -> str:
    return "; ".join(
        f"{taxonomy}: {', '.join(t['slug'] for t in items)}"
        for taxonomy, items in terms.items()
    )


def entry(model: EntryOut) -> RenderableType:
    rows = [
        ("id", model.id),
        ("collection", model.collection),
        ("slug", model.slug),
        ("title", model.title),
        (
            "status",
            model.status + (" (unpublished changes)" if model.has_draft else ""),
        ),
        ("visibility", model.visibility),
        ("version", model.version),
        ("terms", terms_text(model.terms) or "-"),
        ("published", when(model.published_at)),
        ("scheduled", when(model.scheduled_at)),
        ("updated", when(model.updated_at)),
    ]
    if model.seo:
        rows.append(("seo", pretty_json(model.seo)))
    rows.append(("data", pretty_json(model.data)))
    return fields(rows)


def entry_page(model: EntryPageOut) -> RenderableType:
    if not model.items:
        return empty("entries")
    grid = table("ID", "SLUG", "STATUS", "TITLE", "UPDATED (UTC)")
    for item in model.items:
        updated = when(item.updated_at, zone=False)
        grid.add_row(item.id, item.slug, item.status, item.title, updated)
    return with_cursor(grid, model.next_cursor)


def revisions(model: RevisionListOut) -> RenderableType:
    if not model.items:
        return empty("revisions")
    grid = table("#", "ID", "TITLE", "BY", "CREATED (UTC)", "")
    for item in model.items:
        marks = ", ".join(
            name
            for name, flag in (("live", item.live), ("current", item.current))
            if flag
        )
        grid.add_row(
            str(item.number),
            item.id,
            item.title,
            item.actor,
            when(item.created_at, zone=False),
            marks,
        )
    return grid


# -- schema -------------------------------------------------------------------------


def field_flags(model: FieldOut) -> str:
    names = ("required", "unique", "indexed", "searchable")
    return ", ".join(name for name in names if getattr(model, name))


def collection(model: CollectionOut) -> RenderableType:
    header = fields(
        [
            ("slug", model.slug),
            ("label", model.label),
            ("url pattern", model.url_pattern or "-"),
            ("supports", ", ".join(model.supports) or "-"),
            ("title field", model.title_field),
        ]
    )
    if not model.fields:
        return Group(header, empty("fields"))
    grid = table("FIELD", "TYPE", "LABEL", "FLAGS")
    for item in model.fields:
        grid.add_row(item.slug, item.type, item.label, field_flags(item))
    return Group(header, Text(""), grid)


def collections(model: CollectionListOut) -> RenderableType:
    if not model.items:
        return empty("collections")
    grid = table("SLUG", "LABEL", "FIELDS", "URL PATTERN")
    for item in model.items:
        grid.add_row(
            item.slug,
            item.label,
            ", ".join(f.slug for f in item.fields),
            item.url_pattern,
        )
    return grid


def field(model: FieldOut) -> RenderableType:
    return fields(
        [
            ("field", model.slug),
            ("type", model.type),
            ("label", model.label),
            ("flags", field_flags(model) or "-"),
        ]
    )


def field_change(model: FieldChangeReportOut) -> RenderableType:
    verb = "Changed" if model.applied else "Would change"
    lines = [f"{verb} field {model.field}."]
    if model.converted:
        lines.append(f"Converted {model.converted} stored value(s).")
    if model.cleared:
        lines.append(f"Cleared the value of: {', '.join(model.cleared)}.")
    if model.removed:
        lines.append(f"Removed the value from {model.removed} entr(y/ies).")
    return Text("\n".join(lines))


# -- taxonomies, menus, search ------------------------------------------------------


def taxonomies(model: TaxonomyListOut) -> RenderableType:
    if not model.items:
        return empty("taxonomies")
    grid = table("SLUG", "LABEL", "KIND", "COLLECTIONS")
    for item in model.items:
        kind = "hierarchical" if item.hierarchical else "flat"
        grid.add_row(item.slug, item.label, kind, ", ".join(item.collections))
    return grid


def taxonomy(model: TaxonomyOut) -> RenderableType:
    return fields(
        [
            ("slug", model.slug),
            ("label", model.label),
            ("kind", "hierarchical" if model.hierarchical else "flat"),
            ("collections", ", ".join(model.collections) or "-"),
        ]
    )


def terms(model: TermListOut) -> RenderableType:
    if not model.items:
        return empty("terms")
    grid = table("SLUG", "NAME", "PARENT")
    for item in model.items:
        grid.add_row(item.slug, item.name, item.parent or "")
    return grid


def term(model: TermOut) -> RenderableType:
    return fields(
        [("slug", model.slug), ("name", model.name), ("parent", model.parent or "-")]
    )


def menu_lines(items: list[MenuItemOut], depth: int = 0) -> list[str]:
    lines = []
    for item in items:
        target = item.url
        if item.entry:
            # An entry link has a URL only while the entry is live.
            target = f"{item.url or '(not live)'} (entry {item.entry})"
        lines.append(f"{'  ' * depth}- {item.label} -> {target}")
        lines += menu_lines(item.children, depth + 1)
    return lines


def menu(model: MenuOut) -> RenderableType:
    body = "\n".join(menu_lines(model.items)) or "(no items)"
    return Text(f"{model.label} ({model.slug})\n{body}")


def menus(model: MenuListOut) -> RenderableType:
    if not model.items:
        return empty("menus")
    grid = table("SLUG", "LABEL", "ITEMS")
    for item in model.items:
        grid.add_row(item.slug, item.label, str(len(item.items)))
    return grid


def search_results(model: SearchResultsOut) -> RenderableType:
    if not model.items:
        return empty("matches")
    grid = table("COLLECTION", "SLUG", "TITLE", "SNIPPET")
    for hit in model.items:
        # Snippets are HTML with <mark>; show the words plainly.
        snippet = hit.snippet.replace("<mark>", "").replace("</mark>", "")
        grid.add_row(hit.collection, hit.slug, hit.title, html.unescape(snippet))
    return grid


# -- tokens -------------------------------------------------------------------------


def token_created(model: TokenCreatedOut) -> RenderableType:
    scopes = ", ".join(model.scopes)
    if model.user is None:
        summary = f"Created operator token {model.name} ({model.id}) with {scopes}."
    else:
        summary = (
            f"Created token {model.name} ({model.id}) for user {model.user} with "
            f"{scopes}; it never does more than the user's role allows."
        )
    return Group(
        Text(summary),
        Text("Copy it now; it is not shown again:"),
        Text(model.token),
    )


def token(model: TokenOut) -> RenderableType:
    state = "revoked " + when(model.revoked_at) if model.revoked_at else "active"
    return Text(f"Token {model.name} ({model.id}): {state}.")


def tokens(model: TokenListOut) -> RenderableType:
    if not model.items:
        return empty("tokens")
    grid = table("ID", "NAME", "PREFIX", "USER", "SCOPES", "EXPIRES (UTC)", "STATE")
    for item in model.items:
        state = "revoked" if item.revoked_at else "active"
        grid.add_row(
            item.id,
            item.name,
            item.prefix + "…",
            "operator" if item.user is None else str(item.user),
            ", ".join(item.scopes),
            when(item.expires_at, zone=False),
            state,
        )
    return grid


# -- users, roles, invites ----------------------------------------------------------


def user_status(model: UserOut) -> str:
    return "active" if model.is_active else "disabled"


def user(model: UserOut) -> RenderableType:
    return fields(
        [
            ("id", model.id),
            ("email", model.email),
            ("name", model.display_name or "-"),
            ("role", model.role),
            ("status", user_status(model)),
            ("joined", when(model.date_joined)),
            ("last sign-in", when(model.last_login)),
        ]
    )


def users(model: UserListOut) -> RenderableType:
    if not model.items:
        return empty("users")
    grid = table("ID", "EMAIL", "NAME", "ROLE", "STATUS", "LAST SIGN-IN (UTC)")
    for item in model.items:
        grid.add_row(
            str(item.id),
            item.email,
            item.display_name,
            item.role,
            user_status(item),
            when(item.last_login, zone=False),
        )
    return grid


def user_deleted(model: UserOut) -> RenderableType:
    return Text(f"Deleted user {model.email} ({model.id}).")


def user_signed_out(model: UserOut) -> RenderableType:
    return Text(f"Ended every session of {model.email} ({model.id}).")


def role_kind(model: RoleOut) -> str:
    return "built-in" if model.built_in else "custom"


def role(model: RoleOut) -> RenderableType:
    return fields(
        [
            ("slug", model.slug),
            ("name", model.name),
            ("kind", role_kind(model)),
            ("description", model.description or "-"),
            ("permissions", "\n".join(model.permissions) or "-"),
        ]
    )


def roles(model: RoleListOut) -> RenderableType:
    grid = table("SLUG", "NAME", "KIND", "PERMISSIONS", "DESCRIPTION")
    for item in model.items:
        grid.add_row(
            item.slug,
            item.name,
            role_kind(item),
            str(len(item.permissions)),
            item.description,
        )
    return grid


def role_deleted(model: RoleOut) -> RenderableType:
    return Text(f"Deleted role {model.slug}.")


def invite(model: InviteOut) -> RenderableType:
    return Text(f"Invite {model.id} for {model.email} ({model.role}): {model.status}.")


def invites(model: InviteListOut) -> RenderableType:
    if not model.items:
        return empty("invites")
    grid = table("ID", "EMAIL", "ROLE", "STATUS", "EXPIRES (UTC)", "EMAILED (UTC)")
    for item in model.items:
        grid.add_row(
            item.id,
            item.email,
            item.role,
            item.status,
            when(item.expires_at, zone=False),
            when(item.sent_at, zone=False),
        )
    return grid


# -- plugins ------------------------------------------------------------------------


def plugin_validation(model: PluginValidationOut) -> RenderableType:
    manifest = model.manifest
    rows: list[tuple[str, Any]] = [
        ("id", manifest.id),
        ("name", manifest.name),
        ("version", manifest.version),
        ("license", manifest.license),
        ("author", manifest.author or "-"),
        ("description", manifest.description or "-"),
        ("hooks", ", ".join(manifest.hooks) or "-"),
        ("routes", ", ".join(manifest.routes) or "-"),
        ("settings", ", ".join(manifest.settings) or "-"),
        ("imports", ", ".join(model.imports) or "-"),
        ("sha256", model.sha256),
    ]
    header = fields(rows)
    if not model.capabilities:
        return Group(header, Text(""), Text("Capabilities: none."))
    grid = table("CAPABILITY", "DESCRIPTION")
    for capability in model.capabilities:
        grid.add_row(capability.name, capability.description)
    return Group(header, Text(""), grid)


def capability_consent(
    model: PluginValidationOut, *, needed: list[str], previous_version: str | None
) -> str:
    """What an administrator grants by installing, in plain words."""
    manifest = model.manifest
    if previous_version is None:
        subject = f"Plugin {manifest.id} {manifest.version} ({manifest.name})"
    else:
        subject = (
            f"Plugin {manifest.id} {manifest.version} ({manifest.name}), "
            f"replacing version {previous_version},"
        )
    if not model.capabilities:
        return f"{subject} asks for no capabilities."
    width = max(len(capability.name) for capability in model.capabilities)
    lines = [f"{subject} asks to:"]
    for capability in model.capabilities:
        new = " (new)" if previous_version and capability.name in needed else ""
        lines.append(f"  {capability.name.ljust(width)}  {capability.description}{new}")
    return "\n".join(lines)


def plugin_state_word(model: PluginOut) -> str:
    if model.enabled and model.missing_settings:
        return "waiting for settings"
    return "enabled" if model.enabled else "disabled"


def _settings_hint(model: PluginOut) -> str:
    if not model.missing_settings:
        return ""
    missing = ", ".join(model.missing_settings)
    example = " ".join(f"--set {key}=..." for key in model.missing_settings)
    return (
        f" Its hooks run once its required settings have values ({missing}): "
        f"emdash plugin settings {model.id} {example}"
    )


def plugins(model: PluginListOut) -> RenderableType:
    if not model.items:
        return empty("plugins")
    grid = table("ID", "VERSION", "STATE", "NAME")
    grid.add_column("CAPABILITIES", overflow="fold", ratio=1)
    for item in model.items:
        grid.add_row(
            item.id,
            item.version,
            plugin_state_word(item),
            item.name,
            ", ".join(item.capabilities) or "-",
        )
    return grid


def _plugin_changed(done: str, model: PluginOut) -> Text:
    granted = ", ".join(model.capabilities) or "none"
    return Text(
        f"{done}; it is {plugin_state_word(model)}. Capabilities granted: "
        f"{granted}." + _settings_hint(model)
    )


def plugin_installed(model: PluginOut) -> RenderableType:
    return _plugin_changed(f"Installed plugin {model.id} {model.version}", model)


def plugin_updated(model: PluginOut) -> RenderableType:
    return _plugin_changed(
        f"Updated plugin {model.id} to version {model.version}", model
    )


def plugin_state(model: PluginOut) -> RenderableType:
    return Text(f"Plugin {model.id} {model.version} is {plugin_state_word(model)}.")


def scheduled_run(model: ScheduledRunOut) -> RenderableType:
    lines: list[str] = []
    if model.published:
        noun = "entry" if len(model.published) == 1 else "entries"
        lines.append(
            f"Published {len(model.published)} scheduled {noun}: "
            + ", ".join(model.published)
        )
    for run in model.tasks:
        said = f" ({run.message})" if run.message else ""
        lines.append(f"Ran {run.plugin} {run.task}: {run.outcome}{said}")
    return Text("\n".join(lines) or "Nothing is due.")


def plugin_uninstalled(model: PluginOut, *, data_kept: bool) -> RenderableType:
    data = (
        "its data was kept for a reinstall"
        if data_kept
        else "its key-value store, documents and logs were deleted"
    )
    return Text(f"Uninstalled plugin {model.id} {model.version}; {data}.")


def setting_text(value: Any) -> str:
    """A setting's value as a table shows it: JSON's words for true, false and
    null ("-")."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def plugin_settings(
    model: PluginDetailOut, *, changed: list[str] | None = None
) -> RenderableType:
    """The declared settings with their values (secrets as set or unset, as the
    API shows them); after a change, a line naming the keys changed first."""
    if not model.settings_schema:
        body: RenderableType = Text(f"Plugin {model.id} has no settings.")
    else:
        body = grid = table("KEY", "TYPE", "REQUIRED")
        grid.add_column("VALUE", overflow="fold", ratio=1)
        grid.add_column("LABEL", overflow="fold", ratio=1)
        for key, spec in model.settings_schema.items():
            kind = f"select ({', '.join(spec.options)})" if spec.options else spec.type
            grid.add_row(
                key,
                kind,
                "yes" if spec.required else "no",
                setting_text(model.settings.get(key)),
                spec.label,
            )
    if changed is None:
        return body
    updated = Text(f"Updated the settings of plugin {model.id}: {', '.join(changed)}.")
    return Group(updated, Text(""), body)


def plugin_logs(model: PluginLogListOut) -> RenderableType:
    if not model.items:
        return empty("log records")
    grid = table("AT (UTC)", "LEVEL", "HOOK")
    grid.add_column("MESSAGE", overflow="fold", ratio=1)
    for item in model.items:
        message = item.message
        if item.data:
            message += " " + json.dumps(item.data, ensure_ascii=False)
        grid.add_row(
            item.at.strftime("%Y-%m-%d %H:%M:%S"), item.level, item.hook, message
        )
    return grid


# -- seed reports -------------------------------------------------------------------


def seed_report(report: dict[str, dict[str, list[str]]]) -> RenderableType:
    grid = table("KIND", "CREATED", "ALREADY THERE")
    for kind in report["created"]:
        created, skipped = report["created"][kind], report["skipped"][kind]
        if created or skipped:
            grid.add_row(kind, str(len(created)), str(len(skipped)))
    return grid if grid.row_count else Text("The seed file is empty.")
