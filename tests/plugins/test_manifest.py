"""The plugin manifest: defaults, normalisation, and one error per bad field, all at
once, each under its dotted path."""

from typing import Any

import pytest

from emdash.core.errors import ValidationFailed
from emdash.plugins.capabilities import CAPABILITIES, HOOKS
from emdash.plugins.manifest import (
    HookOptions,
    Manifest,
    ManifestInvalid,
    RouteSpec,
    SettingSpec,
    StorageSpec,
    TaskSpec,
    parse_manifest,
)

MINIMAL: dict[str, Any] = {
    "id": "seo-guard",
    "name": "SEO guard",
    "version": "1.0.0",
    "license": "MIT",
    "capabilities": [],
    "hooks": {},
}

FULL: dict[str, Any] = {
    "id": "notify-on-publish",
    "name": "Notify on publish",
    "version": "2.1.0-beta.1+build.7",
    "license": "apache-2.0 or mit",
    "abi": "emdash/0",
    "description": "Emails a recipient when an entry is published.",
    "author": "EmDash",
    "capabilities": ["content:write", "email:send", "network:request"],
    "allowed_hosts": ["hooks.example.com", "*.example.org", "bücher.example"],
    "hooks": {
        "content:afterPublish": {},
        "content:beforeSave": {"priority": 5, "timeout_ms": 250},
        "content:afterSave": {"on_error": "abort"},
        "cron": {},
    },
    "routes": {
        "stats": {},
        "ping": {"public": True},
        "export": {"permission": "content:read_drafts"},
    },
    "settings": {
        "recipient": {"type": "email", "label": "Send to", "required": True},
        "subject": {"type": "string", "label": "Subject", "default": "Published"},
        "footer": {"type": "text", "label": "Footer", "help": "Plain text."},
        "ratio": {"type": "number", "label": "Ratio", "default": 0.5},
        "retries": {"type": "integer", "label": "Retries", "default": 3},
        "enabled": {"type": "boolean", "label": "Enabled", "default": False},
        "site": {"type": "url", "label": "Site", "default": "https://example.com/"},
        "tone": {
            "type": "select",
            "label": "Tone",
            "options": ["plain", "friendly"],
            "default": "plain",
        },
        "api_key": {"type": "secret", "label": "API key"},
    },
    "storage": {"deliveries": {"indexes": ["entryId", "sent_at"]}, "drafts": {}},
    "cron": {"digest": {"every": "1d"}, "retry-failed": {"every": "15m"}},
}


def manifest(**changes: Any) -> dict[str, Any]:
    return {**MINIMAL, **changes}


def problems(data: object) -> dict[str, str]:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(data)
    return caught.value.fields


# -- valid manifests ------------------------------------------------------------------


def test_a_minimal_manifest_gets_every_default() -> None:
    parsed = parse_manifest(MINIMAL)

    assert parsed == Manifest(
        id="seo-guard",
        name="SEO guard",
        version="1.0.0",
        license="MIT",
        capabilities=(),
        hooks={},
        abi="emdash/0",
        description="",
        author="",
        allowed_hosts=(),
        routes={},
        settings={},
        storage={},
    )
    assert parsed.capabilities_effective == frozenset()


def test_a_full_manifest_is_read_and_normalised() -> None:
    parsed = parse_manifest(FULL)

    assert parsed.license == "Apache-2.0 OR MIT"
    assert parsed.capabilities == ("content:write", "email:send", "network:request")
    assert parsed.allowed_hosts == (
        "hooks.example.com",
        "*.example.org",
        "xn--bcher-kva.example",
    )
    assert parsed.hooks == {
        "content:afterPublish": HookOptions(
            priority=100, timeout_ms=1000, on_error="continue"
        ),
        "content:beforeSave": HookOptions(priority=5, timeout_ms=250, on_error="abort"),
        "content:afterSave": HookOptions(
            priority=100, timeout_ms=1000, on_error="abort"
        ),
        "cron": HookOptions(priority=100, timeout_ms=1000, on_error="continue"),
    }
    assert parsed.routes == {
        "stats": RouteSpec(public=False, permission="plugins:manage"),
        "ping": RouteSpec(public=True, permission="plugins:manage"),
        "export": RouteSpec(public=False, permission="content:read_drafts"),
    }
    assert list(parsed.settings) == list(FULL["settings"])
    assert parsed.settings["recipient"] == SettingSpec(
        type="email", label="Send to", required=True
    )
    assert parsed.settings["tone"] == SettingSpec(
        type="select", label="Tone", default="plain", options=("plain", "friendly")
    )
    assert parsed.settings["footer"].help == "Plain text."
    assert parsed.settings["api_key"].default is None
    assert parsed.storage == {
        "deliveries": StorageSpec(indexes=("entryId", "sent_at")),
        "drafts": StorageSpec(indexes=()),
    }
    assert parsed.cron == {
        "digest": TaskSpec(every="1d"),
        "retry-failed": TaskSpec(every="15m"),
    }
    assert parsed.capabilities_effective == frozenset(
        {"content:write", "content:read", "email:send", "network:request"}
    )


def test_to_json_gives_the_normalised_manifest() -> None:
    assert parse_manifest(MINIMAL).to_json() == {
        "id": "seo-guard",
        "name": "SEO guard",
        "version": "1.0.0",
        "license": "MIT",
        "abi": "emdash/0",
        "description": "",
        "author": "",
        "capabilities": [],
        "allowed_hosts": [],
        "hooks": {},
        "routes": {},
        "settings": {},
        "storage": {},
        "cron": {},
    }
    normalised = parse_manifest(FULL).to_json()
    assert normalised["hooks"]["content:beforeSave"] == {
        "priority": 5,
        "timeout_ms": 250,
        "on_error": "abort",
    }
    assert normalised["settings"]["tone"] == {
        "type": "select",
        "label": "Tone",
        "required": False,
        "help": "",
        "options": ["plain", "friendly"],
        "default": "plain",
    }
    assert normalised["settings"]["api_key"] == {
        "type": "secret",
        "label": "API key",
        "required": False,
        "help": "",
    }


@pytest.mark.parametrize("data", [MINIMAL, FULL], ids=["minimal", "full"])
def test_the_normalised_manifest_round_trips(data: dict[str, Any]) -> None:
    parsed = parse_manifest(data)

    assert parse_manifest(parsed.to_json()) == parsed
    assert parse_manifest(parsed.to_json()).to_json() == parsed.to_json()


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_on_error_defaults_to_abort_for_before_hooks_and_continue_after(
    hook: str,
) -> None:
    tasks = {"cron": {"tick": {"every": "1m"}}} if hook == "cron" else {}
    parsed = parse_manifest(manifest(hooks={hook: {}}, **tasks))

    expected = "abort" if HOOKS[hook] else "continue"
    assert parsed.hooks[hook] == HookOptions(
        priority=100, timeout_ms=1000, on_error=expected
    )


def test_before_and_after_hooks_get_their_own_on_error() -> None:
    parsed = parse_manifest(
        manifest(hooks={"content:beforeSave": {}, "content:afterSave": {}})
    )

    assert parsed.hooks["content:beforeSave"].on_error == "abort"
    assert parsed.hooks["content:afterSave"].on_error == "continue"


def test_hook_option_bounds_are_inclusive() -> None:
    parsed = parse_manifest(
        manifest(
            hooks={
                "content:beforeSave": {"priority": 0, "timeout_ms": 1},
                "content:afterSave": {"priority": 1000, "timeout_ms": 30000},
            }
        )
    )

    assert parsed.hooks["content:beforeSave"].priority == 0
    assert parsed.hooks["content:beforeSave"].timeout_ms == 1
    assert parsed.hooks["content:afterSave"].priority == 1000
    assert parsed.hooks["content:afterSave"].timeout_ms == 30000


def test_every_capability_is_accepted() -> None:
    declared = [name for name in CAPABILITIES if name != "network:request"]

    assert parse_manifest(manifest(capabilities=declared)).capabilities == tuple(
        declared
    )


def test_effective_capabilities_include_what_they_imply() -> None:
    parsed = parse_manifest(
        manifest(capabilities=["media:write", "network:request:unrestricted"])
    )

    assert parsed.capabilities_effective == frozenset(
        {
            "media:write",
            "media:read",
            "network:request:unrestricted",
            "network:request",
        }
    )


# -- the error itself -----------------------------------------------------------------


def test_the_error_is_a_422_validation_failure_naming_the_plugin() -> None:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(manifest(version="1"))

    error = caught.value
    assert isinstance(error, ValidationFailed)
    assert error.status == 422
    assert error.code == "MANIFEST_INVALID"
    assert error.message == (
        "The manifest of plugin 'seo-guard' is invalid: "
        "version: '1' is not a semantic version (like 1.0.0)."
    )
    assert error.as_dict()["details"] == {
        "fields": {"version": "'1' is not a semantic version (like 1.0.0)"}
    }


def test_the_error_without_a_valid_id_names_no_plugin() -> None:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(manifest(id="X"))

    assert caught.value.message.startswith("The plugin manifest is invalid: id: ")


def test_every_problem_is_reported_at_once() -> None:
    data = {
        "id": "Bad_Id",
        "version": "1.0",
        "license": "not-a-license",
        "capabilities": ["content:read", "files:read", "content:read", 7],
        "hooks": {
            "content:beforeSave": {"priority": True, "timeout_ms": 0, "retry": 1},
            "content:afterSave": {"on_error": "ignore"},
            "content:onSave": {},
        },
        "allowed_hosts": ["Example.com"],
        "routes": {"Stats": {}},
        "settings": {"color": {"type": "colour", "label": "Colour"}},
        "storage": {"log": {"indexes": ["9lives"]}},
        "homepage": "https://example.com",
    }

    assert problems(data) == {
        "homepage": "unknown property",
        "name": "is required",
        "id": "must be 2-64 lowercase letters, digits and hyphens, "
        "starting with a letter",
        "version": "'1.0' is not a semantic version (like 1.0.0)",
        "license": "is not a valid SPDX license expression "
        "(Unknown license: 'not-a-license')",
        "capabilities[1]": "unknown capability 'files:read' (known: "
        + ", ".join(CAPABILITIES)
        + ")",
        "capabilities[2]": "duplicate of capabilities[0]",
        "capabilities[3]": "must be a string",
        "hooks.content:beforeSave.retry": "unknown property",
        "hooks.content:beforeSave.priority": "must be an integer from 0 to 1000",
        "hooks.content:beforeSave.timeout_ms": "must be from 1 to 30000",
        "hooks.content:afterSave.on_error": "must be one of: abort, continue",
        "hooks.content:onSave": "unknown hook",
        "allowed_hosts[0]": "must be lowercase",
        "allowed_hosts": "needs the network:request capability to be declared",
        "routes.Stats": "a route name must be up to 64 lowercase letters, digits "
        "and hyphens, starting with a letter",
        "settings.color.type": "must be one of: string, text, number, integer, "
        "boolean, email, url, select, secret",
        "storage.log.indexes[0]": "must be a field name: up to 64 letters, digits "
        "and underscores, not starting with a digit",
    }


def test_the_message_lists_every_problem() -> None:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(manifest(name="", hooks={"content:afterSave": {"priority": -1}}))

    assert caught.value.message == (
        "The manifest of plugin 'seo-guard' is invalid: name: must not be blank; "
        "hooks.content:afterSave.priority: must be from 0 to 1000."
    )


# -- the document and required keys --------------------------------------------------


@pytest.mark.parametrize("data", [None, [], "manifest", 1])
def test_a_manifest_must_be_an_object(data: object) -> None:
    assert problems(data) == {"manifest": "must be an object"}


def test_every_required_key_is_named() -> None:
    assert problems({}) == {
        "id": "is required",
        "name": "is required",
        "version": "is required",
        "license": "is required",
        "capabilities": "is required",
        "hooks": "is required",
    }


def test_keys_must_be_strings() -> None:
    assert problems({**MINIMAL, 1: "x"}) == {"1": "keys must be strings"}


# -- id, name, version, license, abi, description, author -----------------------------


@pytest.mark.parametrize("plugin_id", ["ab", "a1", "a-b-c", "a" * 64])
def test_valid_ids(plugin_id: str) -> None:
    assert parse_manifest(manifest(id=plugin_id)).id == plugin_id


@pytest.mark.parametrize(
    "plugin_id", ["a", "Ab", "1ab", "-ab", "a_b", "a.b", "a" * 65, "ab\n", "äb", ""]
)
def test_invalid_ids(plugin_id: str) -> None:
    assert problems(manifest(id=plugin_id)) == {
        "id": "must be 2-64 lowercase letters, digits and hyphens, "
        "starting with a letter"
    }


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("id", 12, "must be a string"),
        ("name", "", "must not be blank"),
        ("name", "  ", "must not be blank"),
        ("name", "n" * 101, "must be at most 100 characters"),
        ("name", ["SEO"], "must be a string"),
        ("version", 1, "must be a string"),
        ("license", None, "must be a string"),
        ("abi", "emdash/1", "'emdash/1' is not supported; this host runs 'emdash/0'"),
        ("abi", 0, "must be a string"),
        ("description", "d" * 501, "must be at most 500 characters"),
        ("description", None, "must be a string"),
        ("author", "a" * 201, "must be at most 200 characters"),
        ("author", {"name": "A"}, "must be a string"),
    ],
)
def test_invalid_scalar_fields(field: str, value: object, problem: str) -> None:
    assert problems(manifest(**{field: value})) == {field: problem}


def test_text_fields_at_their_limits_are_accepted() -> None:
    parsed = parse_manifest(
        manifest(name="n" * 100, description="d" * 500, author="a" * 200)
    )

    assert (len(parsed.name), len(parsed.description), len(parsed.author)) == (
        100,
        500,
        200,
    )


@pytest.mark.parametrize(
    "version",
    [
        "0.0.0",
        "10.20.30",
        "1.0.0-alpha",
        "1.0.0-0.3.7",
        "1.0.0-x.7.z.92",
        "1.0.0-alpha+001",
        "1.0.0+20130313144700",
        "1.0.0-beta+exp.sha.5114f85",
        "1.0.0-x-y-z.--",
    ],
)
def test_semantic_versions_are_accepted(version: str) -> None:
    assert parse_manifest(manifest(version=version)).version == version


@pytest.mark.parametrize(
    "version",
    [
        "1",
        "1.0",
        "1.0.0.0",
        "v1.0.0",
        "01.0.0",
        "1.02.0",
        "1.0.0-01",
        "1.0.0-",
        "1.0.0+",
        "1.0.0-alpha..1",
        "1.0.0\n",
        " 1.0.0",
        "１.0.0",
        "1.0.0-alpha_beta",
    ],
)
def test_versions_that_are_not_strict_semver_are_refused(version: str) -> None:
    assert problems(manifest(version=version)) == {
        "version": f"'{version}' is not a semantic version (like 1.0.0)"
    }


def test_a_very_long_version_is_refused() -> None:
    version = "1.0.0-" + "a" * 59

    assert problems(manifest(version=version)) == {
        "version": "must be at most 64 characters"
    }


@pytest.mark.parametrize(
    ("expression", "canonical"),
    [
        ("mit", "MIT"),
        ("MIT", "MIT"),
        ("Apache-2.0 OR MIT", "Apache-2.0 OR MIT"),
        ("apache-2.0 or mit", "Apache-2.0 OR MIT"),
        (
            "mit and (apache-2.0 or bsd-2-clause)",
            "MIT AND (Apache-2.0 OR BSD-2-Clause)",
        ),
        (
            "gpl-3.0-or-later with classpath-exception-2.0",
            "GPL-3.0-or-later WITH Classpath-exception-2.0",
        ),
        ("LicenseRef-Proprietary", "LicenseRef-Proprietary"),
    ],
)
def test_licenses_are_stored_in_canonical_spdx_form(
    expression: str, canonical: str
) -> None:
    assert parse_manifest(manifest(license=expression)).license == canonical


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("nope", "Unknown license: 'nope'"),
        ("MIT OR Nope-1.0", "Unknown license: 'nope-1.0'"),
        ("MIT OR", "Invalid license expression: 'MIT OR'"),
        ("", "Invalid license expression: ''"),
    ],
)
def test_invalid_spdx_expressions_are_named(expression: str, reason: str) -> None:
    assert problems(manifest(license=expression)) == {
        "license": f"is not a valid SPDX license expression ({reason})"
    }


# -- capabilities ---------------------------------------------------------------------


def test_capabilities_must_be_a_list() -> None:
    assert problems(manifest(capabilities="content:read")) == {
        "capabilities": "must be a list"
    }


def test_each_capability_problem_is_named_by_its_index() -> None:
    assert problems(
        manifest(capabilities=["email:send", "email:send", None, "email:read"])
    ) == {
        "capabilities[1]": "duplicate of capabilities[0]",
        "capabilities[2]": "must be a string",
        "capabilities[3]": "unknown capability 'email:read' (known: "
        + ", ".join(CAPABILITIES)
        + ")",
    }


# -- hooks ----------------------------------------------------------------------------


def test_hooks_must_be_an_object() -> None:
    assert problems(manifest(hooks=["content:beforeSave"])) == {
        "hooks": "must be an object"
    }


def test_unknown_hooks_are_named() -> None:
    assert problems(
        manifest(hooks={"content:beforeLoad": {}, "content:afterSave": {}})
    ) == {"hooks.content:beforeLoad": "unknown hook"}


def test_hook_options_must_be_an_object() -> None:
    assert problems(manifest(hooks={"content:afterSave": True})) == {
        "hooks.content:afterSave": "must be an object"
    }


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("priority", True, "must be an integer from 0 to 1000"),
        ("priority", False, "must be an integer from 0 to 1000"),
        ("priority", "10", "must be an integer from 0 to 1000"),
        ("priority", 10.0, "must be an integer from 0 to 1000"),
        ("priority", None, "must be an integer from 0 to 1000"),
        ("priority", -1, "must be from 0 to 1000"),
        ("priority", 1001, "must be from 0 to 1000"),
        ("timeout_ms", True, "must be an integer from 1 to 30000"),
        ("timeout_ms", 1.5, "must be an integer from 1 to 30000"),
        ("timeout_ms", 0, "must be from 1 to 30000"),
        ("timeout_ms", 30001, "must be from 1 to 30000"),
        ("on_error", "ignore", "must be one of: abort, continue"),
        ("on_error", "Abort", "must be one of: abort, continue"),
        ("on_error", True, "must be one of: abort, continue"),
        ("retries", 3, "unknown property"),
    ],
)
def test_invalid_hook_options(option: str, value: object, problem: str) -> None:
    data = manifest(hooks={"content:beforeSave": {option: value}})

    assert problems(data) == {f"hooks.content:beforeSave.{option}": problem}


# -- allowed hosts --------------------------------------------------------------------


def networked(hosts: object) -> dict[str, Any]:
    return manifest(capabilities=["network:request"], allowed_hosts=hosts)


def test_allowed_hosts_are_stored_as_ascii_names() -> None:
    parsed = parse_manifest(
        networked(["api.example.com", "*.example.org", "localhost", "münchen.de"])
    )

    assert parsed.allowed_hosts == (
        "api.example.com",
        "*.example.org",
        "localhost",
        "xn--mnchen-3ya.de",
    )


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("API.example.com", "must be lowercase"),
        ("https://example.com", "must be a host name, without a scheme"),
        ("example.com/hooks", "must be a host name, without a path"),
        ("example.com:8443", "must be a host name, without a port"),
        ("127.0.0.1", "must be a host name, not an IP address"),
        ("10.0.0.1", "must be a host name, not an IP address"),
        ("::1", "must be a host name, not an IP address"),
        ("[::1]", "must be a host name, not an IP address"),
        ("::ffff:127.0.0.1", "must be a host name, not an IP address"),
        ("2130706433", "must be a host name, not an IP address"),
        ("0x7f.1", "must be a host name, not an IP address"),
        ("127.1", "must be a host name, not an IP address"),
        ("*.com", "a wildcard must cover a domain, as in *.example.com"),
        ("*", "a wildcard must be the whole first label, as in *.example.com"),
        (
            "api*.example.com",
            "a wildcard must be the whole first label, as in *.example.com",
        ),
        (
            "api.*.example.com",
            "a wildcard must be the whole first label, as in *.example.com",
        ),
        ("", "is not a valid host name"),
        ("example..com", "is not a valid host name"),
        ("example.com.", "is not a valid host name"),
        ("-example.com", "is not a valid host name"),
        ("ex_ample.com", "is not a valid host name"),
        ("exa mple.com", "is not a valid host name"),
        ("a" * 64 + ".com", "is not a valid host name"),
        (".".join(["a" * 63] * 4), "is not a valid host name"),
    ],
)
def test_invalid_allowed_hosts(host: str, problem: str) -> None:
    assert problems(networked(["ok.example.com", host])) == {
        "allowed_hosts[1]": problem
    }


def test_allowed_hosts_are_not_repeated_even_when_spelled_differently() -> None:
    assert problems(networked(["münchen.de", "xn--mnchen-3ya.de"])) == {
        "allowed_hosts[1]": "duplicate of allowed_hosts[0]"
    }


@pytest.mark.parametrize(
    ("hosts", "problem"),
    [
        ("example.com", {"allowed_hosts": "must be a list"}),
        ([3], {"allowed_hosts[0]": "must be a string"}),
    ],
)
def test_allowed_hosts_must_be_a_list_of_strings(
    hosts: object, problem: dict[str, str]
) -> None:
    assert problems(networked(hosts)) == problem


@pytest.mark.parametrize("hosts", [[], None])
def test_network_request_needs_at_least_one_host(hosts: list[str] | None) -> None:
    data = manifest(capabilities=["network:request"])
    if hosts is not None:
        data["allowed_hosts"] = hosts

    assert problems(data) == {
        "allowed_hosts": "must list at least one host when network:request is declared"
    }


def test_hosts_without_network_request_are_refused() -> None:
    assert problems(manifest(allowed_hosts=["example.com"])) == {
        "allowed_hosts": "needs the network:request capability to be declared"
    }


def test_unrestricted_network_takes_no_hosts() -> None:
    data = manifest(
        capabilities=["network:request:unrestricted"], allowed_hosts=["example.com"]
    )

    assert problems(data) == {
        "allowed_hosts": "must be empty with network:request:unrestricted, which "
        "reaches any public host"
    }


@pytest.mark.parametrize("hosts", [{}, {"allowed_hosts": []}], ids=["absent", "empty"])
def test_unrestricted_network_without_hosts_is_accepted(
    hosts: dict[str, Any],
) -> None:
    data = manifest(capabilities=["network:request:unrestricted"], **hosts)

    assert parse_manifest(data).allowed_hosts == ()


def test_the_host_rule_is_checked_beside_other_capability_problems() -> None:
    data = manifest(capabilities=["network:request", "unknown:thing"])

    assert set(problems(data)) == {"capabilities[1]", "allowed_hosts"}


# -- routes ---------------------------------------------------------------------------


def test_routes_must_be_an_object() -> None:
    assert problems(manifest(routes=["stats"])) == {"routes": "must be an object"}


@pytest.mark.parametrize("name", ["s", "stats", "daily-stats", "a" * 64])
def test_valid_route_names(name: str) -> None:
    assert list(parse_manifest(manifest(routes={name: {}})).routes) == [name]


@pytest.mark.parametrize("name", ["Stats", "1st", "-a", "a_b", "a/b", "", "a" * 65])
def test_invalid_route_names(name: str) -> None:
    assert problems(manifest(routes={name: {}})) == {
        f"routes.{name}": "a route name must be up to 64 lowercase letters, digits "
        "and hyphens, starting with a letter"
    }


@pytest.mark.parametrize(
    ("options", "field", "problem"),
    [
        (None, "routes.stats", "must be an object"),
        ({"public": "yes"}, "routes.stats.public", "must be true or false"),
        ({"public": 1}, "routes.stats.public", "must be true or false"),
        ({"permission": 3}, "routes.stats.permission", "must be a string"),
        (
            {"permission": "plugins:own"},
            "routes.stats.permission",
            "unknown permission 'plugins:own'",
        ),
        ({"method": "GET"}, "routes.stats.method", "unknown property"),
    ],
)
def test_invalid_route_options(options: object, field: str, problem: str) -> None:
    assert problems(manifest(routes={"stats": options})) == {field: problem}


# -- settings -------------------------------------------------------------------------


def test_settings_must_be_an_object() -> None:
    assert problems(manifest(settings=[])) == {"settings": "must be an object"}


@pytest.mark.parametrize("key", ["Color", "1st", "a-b", "", "a" * 65])
def test_invalid_setting_keys(key: str) -> None:
    setting = {"type": "string", "label": "X"}

    assert problems(manifest(settings={key: setting})) == {
        f"settings.{key}": "a setting key must be up to 64 lowercase letters, "
        "digits and underscores, starting with a letter"
    }


def test_a_setting_needs_a_type_and_a_label() -> None:
    assert problems(manifest(settings={"recipient": {}})) == {
        "settings.recipient.type": "is required",
        "settings.recipient.label": "is required",
    }


@pytest.mark.parametrize(
    ("setting", "field", "problem"),
    [
        (
            {"type": "colour"},
            "type",
            "must be one of: string, text, number, integer, boolean, email, url, "
            "select, secret",
        ),
        ({"label": ""}, "label", "must not be blank"),
        ({"label": "l" * 101}, "label", "must be at most 100 characters"),
        ({"label": 5}, "label", "must be a string"),
        ({"required": "true"}, "required", "must be true or false"),
        ({"help": "h" * 501}, "help", "must be at most 500 characters"),
        ({"options": ["a"]}, "options", "only a select setting has options"),
        ({"placeholder": "x"}, "placeholder", "unknown property"),
    ],
)
def test_invalid_setting_fields(
    setting: dict[str, Any], field: str, problem: str
) -> None:
    data = manifest(settings={"title": {"type": "string", "label": "T", **setting}})

    assert problems(data) == {f"settings.title.{field}": problem}


@pytest.mark.parametrize(
    ("setting_type", "default", "extra"),
    [
        ("string", "", {}),
        ("text", "Many\nlines", {}),
        ("number", 1, {}),
        ("number", -2.5, {}),
        ("integer", 0, {}),
        ("boolean", True, {}),
        ("email", "editor@example.com", {}),
        ("url", "http://example.com/feed", {}),
        ("select", "b", {"options": ["a", "b"]}),
    ],
)
def test_defaults_that_fit_their_type_are_kept(
    setting_type: str, default: object, extra: dict[str, Any]
) -> None:
    setting = {"type": setting_type, "label": "X", "default": default, **extra}

    parsed = parse_manifest(manifest(settings={"x": setting}))

    assert parsed.settings["x"].default == default


@pytest.mark.parametrize(
    ("setting_type", "default", "extra", "problem"),
    [
        ("string", 5, {}, "must be a string"),
        ("text", ["a"], {}, "must be a string"),
        ("number", "1", {}, "must be a number"),
        ("number", True, {}, "must be a number"),
        ("number", float("inf"), {}, "must be a number"),
        ("integer", 1.5, {}, "must be an integer"),
        ("integer", False, {}, "must be an integer"),
        ("boolean", 0, {}, "must be true or false"),
        ("email", "not-an-email", {}, "must be a valid email address"),
        ("url", "ftp://example.com", {}, "must be an http(s) URL"),
        ("url", "example.com", {}, "must be an http(s) URL"),
        ("select", "c", {"options": ["a", "b"]}, "must be one of the options"),
        ("secret", "hunter2", {}, "a secret cannot have a default"),
    ],
)
def test_defaults_that_do_not_fit_their_type_are_refused(
    setting_type: str, default: object, extra: dict[str, Any], problem: str
) -> None:
    setting = {"type": setting_type, "label": "X", "default": default, **extra}

    assert problems(manifest(settings={"x": setting})) == {
        "settings.x.default": problem
    }


@pytest.mark.parametrize(
    ("options", "field", "problem"),
    [
        (None, "settings.x.options", "is required for a select setting"),
        ("a,b", "settings.x.options", "must be a list"),
        ([], "settings.x.options", "must list at least one option"),
        (["a", "a"], "settings.x.options[1]", "duplicate of settings.x.options[0]"),
        (["a", ""], "settings.x.options[1]", "must be 1-100 characters"),
        (["a", "o" * 101], "settings.x.options[1]", "must be 1-100 characters"),
        (["a", 2], "settings.x.options[1]", "must be a string"),
    ],
)
def test_select_options(options: object, field: str, problem: str) -> None:
    setting: dict[str, Any] = {"type": "select", "label": "X"}
    if options is not None:
        setting["options"] = options

    assert problems(manifest(settings={"x": setting})) == {field: problem}


# -- storage --------------------------------------------------------------------------


def test_storage_must_be_an_object() -> None:
    assert problems(manifest(storage=["log"])) == {"storage": "must be an object"}


@pytest.mark.parametrize("name", ["Log", "1log", "log-entries", ""])
def test_invalid_collection_names(name: str) -> None:
    assert problems(manifest(storage={name: {}})) == {
        f"storage.{name}": "a collection name must be up to 64 lowercase letters, "
        "digits and underscores, starting with a letter"
    }


@pytest.mark.parametrize(
    ("collection", "field", "problem"),
    [
        ([], "storage.log", "must be an object"),
        ({"indexes": "type"}, "storage.log.indexes", "must be a list"),
        ({"indexes": [1]}, "storage.log.indexes[0]", "must be a string"),
        (
            {"indexes": ["type", "type"]},
            "storage.log.indexes[1]",
            "duplicate of storage.log.indexes[0]",
        ),
        (
            {"indexes": ["data.type"]},
            "storage.log.indexes[0]",
            "must be a field name: up to 64 letters, digits and underscores, "
            "not starting with a digit",
        ),
        ({"unique": ["id"]}, "storage.log.unique", "unknown property"),
    ],
)
def test_invalid_storage_collections(
    collection: object, field: str, problem: str
) -> None:
    assert problems(manifest(storage={"log": collection})) == {field: problem}


# -- cron tasks -----------------------------------------------------------------------


def test_cron_tasks_run_every_so_many_minutes_hours_or_days() -> None:
    parsed = parse_manifest(FULL)

    assert {name: task.every_seconds for name, task in parsed.cron.items()} == {
        "digest": 86400,
        "retry-failed": 900,
    }


@pytest.mark.parametrize(
    ("every", "problem"),
    [
        ("15", "'15' is not an interval like 15m, 6h or 1d"),
        ("1.5h", "'1.5h' is not an interval like 15m, 6h or 1d"),
        ("0m", "'0m' is not an interval like 15m, 6h or 1d"),
        ("30s", "'30s' is not an interval like 15m, 6h or 1d"),
        ("400d", "must be between 1 minute and 366 days"),
        (15, "must be a string"),
    ],
)
def test_a_task_interval_must_be_whole_minutes_hours_or_days(
    every: object, problem: str
) -> None:
    found = problems(manifest(hooks={"cron": {}}, cron={"tick": {"every": every}}))

    assert found["cron.tick.every"].startswith(problem)


def test_a_task_needs_an_interval_and_nothing_else() -> None:
    assert problems(
        manifest(
            hooks={"cron": {}}, cron={"tick": {}, "tock": {"every": "1m", "at": 3}}
        )
    ) == {
        "cron.tick.every": "is required",
        "cron.tock.at": "unknown property",
    }


def test_task_names_are_like_route_names() -> None:
    found = problems(manifest(hooks={"cron": {}}, cron={"Nightly": {"every": "1d"}}))

    assert found == {
        "cron.Nightly": "a task name must be up to 64 lowercase letters, digits and "
        "hyphens, starting with a letter"
    }


def test_the_cron_hook_and_its_tasks_come_together() -> None:
    assert problems(manifest(hooks={"cron": {}})) == {
        "cron": "must declare at least one task for the cron hook"
    }
    assert problems(manifest(cron={"tick": {"every": "1m"}})) == {
        "hooks": "must include cron to run the tasks under cron"
    }
