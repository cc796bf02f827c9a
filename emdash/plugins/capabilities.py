"""What a plugin can be granted, in one table: capabilities (with the words an
administrator reads before granting them), what each implies, the host functions
each unlocks, and the hooks a plugin may handle.

The manifest check, the import check at install, the Linker at run time and the
capability check inside every host function all read these tables, so a host
function can never be reachable without the capability this file gives it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

# capability -> what granting it lets the plugin do, in plain words
CAPABILITIES: dict[str, str] = {
    "content:read": "Read all content, including drafts",
    "content:write": "Create, change and delete content (and read it)",
    "taxonomies:read": "Read categories, tags and other taxonomies",
    "media:read": "Read the media library",
    "media:write": "Upload, change and delete media (and read it)",
    "users:read": "Read the names, email addresses and roles of users",
    "email:send": "Send email from this site",
    "network:request": "Make web requests to the hosts it lists",
    "network:request:unrestricted": "Make web requests to any public host",
}

# A capability also grants these.
IMPLIES: dict[str, frozenset[str]] = {
    "content:write": frozenset({"content:read"}),
    "media:write": frozenset({"media:read"}),
    "network:request:unrestricted": frozenset({"network:request"}),
}


def split_grant(values: Iterable[str]) -> list[str]:
    """Granted capabilities as given to a door: each value one capability or a
    comma-separated list of them (``["a,b", "c"]`` -> ``["a", "b", "c"]``)."""
    return [
        item.strip() for value in values for item in value.split(",") if item.strip()
    ]


def effective(capabilities: frozenset[str] | set[str] | list[str]) -> frozenset[str]:
    """Capabilities with everything they imply."""
    granted = set(capabilities)
    for capability in list(granted):
        granted |= IMPLIES.get(capability, frozenset())
    return frozenset(granted)


@dataclass(frozen=True)
class HostFunction:
    """A function the host offers in import module ``emdash``. ``capability`` is
    None for the ones every plugin gets. Parameters and results are wasm value
    types; an ``i64`` result packs ``ptr << 32 | len`` of a JSON envelope the host
    wrote into guest memory."""

    name: str
    capability: str | None
    params: tuple[str, ...]
    results: tuple[str, ...]
    # Whether a call can write to the database, itself or through the hooks it
    # runs (a write's or an email's): a plugin importing none of these runs
    # without a savepoint, as it has nothing to undo.
    writes: bool = False


IMPORT_MODULE = "emdash"

# Every host function takes JSON in (ptr, len) and answers a JSON envelope, except
# log, which answers nothing.
_JSON_CALL = (("i32", "i32"), ("i64",))

HOST_FUNCTIONS: dict[str, HostFunction] = {
    function.name: function
    for function in [
        HostFunction("log", None, ("i32", "i32", "i32"), ()),
        HostFunction("site_info", None, *_JSON_CALL),
        HostFunction("kv_get", None, *_JSON_CALL),
        HostFunction("kv_set", None, *_JSON_CALL, writes=True),
        HostFunction("kv_delete", None, *_JSON_CALL, writes=True),
        HostFunction("kv_list", None, *_JSON_CALL),
        HostFunction("storage_get", None, *_JSON_CALL),
        HostFunction("storage_put", None, *_JSON_CALL, writes=True),
        HostFunction("storage_delete", None, *_JSON_CALL, writes=True),
        HostFunction("storage_query", None, *_JSON_CALL),
        HostFunction("content_get", "content:read", *_JSON_CALL),
        HostFunction("content_list", "content:read", *_JSON_CALL),
        HostFunction("content_create", "content:write", *_JSON_CALL, writes=True),
        HostFunction("content_update", "content:write", *_JSON_CALL, writes=True),
        HostFunction("content_delete", "content:write", *_JSON_CALL, writes=True),
        HostFunction("taxonomy_list", "taxonomies:read", *_JSON_CALL),
        HostFunction("media_get", "media:read", *_JSON_CALL),
        HostFunction("media_list", "media:read", *_JSON_CALL),
        HostFunction("media_upload", "media:write", *_JSON_CALL, writes=True),
        HostFunction("media_delete", "media:write", *_JSON_CALL, writes=True),
        HostFunction("user_get", "users:read", *_JSON_CALL),
        HostFunction("user_list", "users:read", *_JSON_CALL),
        HostFunction("email_send", "email:send", *_JSON_CALL, writes=True),
        HostFunction("http_fetch", "network:request", *_JSON_CALL),
    ]
}


def functions_granted(capabilities: frozenset[str]) -> frozenset[str]:
    """The host functions a plugin with these (already effective) capabilities may
    import."""
    return frozenset(
        name
        for name, function in HOST_FUNCTIONS.items()
        if function.capability is None or function.capability in capabilities
    )


# hook -> whether it runs before the write (and may change or refuse it)
HOOKS: dict[str, bool] = {
    "plugin:install": False,
    "plugin:activate": False,
    "plugin:deactivate": False,
    "plugin:uninstall": False,
    "content:beforeSave": True,
    "content:afterSave": False,
    "content:beforePublish": True,
    "content:afterPublish": False,
    "content:afterUnpublish": False,
    "content:beforeDelete": True,
    "content:afterDelete": False,
    "media:beforeUpload": True,
    "media:afterUpload": False,
    "comment:beforeCreate": True,
    "comment:afterCreate": False,
    "email:beforeSend": True,
    "email:afterSend": False,
    "page:metadata": False,
    "cron": False,
}
