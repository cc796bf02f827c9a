"""Plugin bundles for tests, written into a temporary folder: a manifest and a WAT
module compiled in-process, so no toolchain is needed.

``make_bundle`` makes a valid bundle by default; each option changes one thing.
The module has the ``emdash/0`` glue of ``tests.plugins.sandbox.wat`` (memory, a
bump allocator as ``emdash_alloc``) and answers "no change" unless ``handle_wat``
gives ``emdash_handle`` another body.
"""

import json
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from emdash.plugins.capabilities import HOST_FUNCTIONS, IMPORT_MODULE
from tests.plugins.sandbox import wat

# make_bundle's options for a plugin that reads content and sends email on publish.
MAIL_PLUGIN: dict[str, Any] = {
    "capabilities": ["content:read", "email:send"],
    "imports": ["content_get", "email_send"],
    "hooks": {"content:afterPublish": {}},
}
# The signature of an import from a module the host does not provide; any will do.
FOREIGN_SIGNATURE = "(param i32 i32) (result i32)"


def import_wat(name: str) -> str:
    """The WAT import of ``name``: a host function (``content_get``, or
    ``emdash.content_get``), or ``module.function`` for any other module."""
    module, _, function = name.rpartition(".")
    module = module or IMPORT_MODULE
    host_function = HOST_FUNCTIONS.get(function) if module == IMPORT_MODULE else None
    if host_function is None:
        signature = FOREIGN_SIGNATURE
    else:
        params = " ".join(host_function.params)
        results = " ".join(host_function.results)
        signature = f"(param {params})" + (f" (result {results})" if results else "")
    return f'(import "{module}" "{function}" (func {signature}))'


def module_wasm(*, imports: Iterable[str] = (), handle_wat: str | None = None) -> bytes:
    """A module exporting memory, emdash_alloc and emdash_handle, importing
    ``imports`` (names as ``import_wat`` reads them)."""
    return wat.plugin(
        handle_wat or "(i64.const 0)",
        imports="\n  ".join(import_wat(name) for name in imports),
    )


def manifest_for(
    *,
    id: str = "demo",
    version: str = "1.0.0",
    capabilities: Iterable[str] = (),
    hooks: Mapping[str, Mapping[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A manifest; ``network:request`` gets ``allowed_hosts`` unless given."""
    capabilities = list(capabilities)
    manifest: dict[str, Any] = {
        "id": id,
        "name": f"{id.replace('-', ' ').title()} plugin",
        "version": version,
        "license": "MIT",
        "description": f"The {id} test plugin.",
        "author": "Tests",
        "capabilities": capabilities,
        "hooks": {name: dict(options) for name, options in (hooks or {}).items()},
    }
    if "network:request" in capabilities and "allowed_hosts" not in extra:
        manifest["allowed_hosts"] = ["hooks.example.com"]
    return manifest | extra


def make_bundle(
    tmp_path: Path,
    *,
    id: str = "demo",
    version: str = "1.0.0",
    capabilities: Iterable[str] = (),
    hooks: Mapping[str, Mapping[str, Any]] | None = None,
    imports: Iterable[str] = (),
    handle_wat: str | None = None,
    zip: bool = False,
    wasm: bytes | None = None,
    readme: str | None = None,
    **manifest_extra: Any,
) -> Path:
    """Write a bundle under ``tmp_path`` (a new folder each call, so versions of
    one plugin can sit side by side) and return its folder, or its ``.zip`` with
    ``zip``. ``wasm`` replaces the generated module; other keyword arguments go
    into the manifest as they are (``settings={...}``, ``allowed_hosts=[...]``)."""
    manifest = manifest_for(
        id=id,
        version=version,
        capabilities=capabilities,
        hooks=hooks,
        **manifest_extra,
    )
    files = {
        "manifest.json": json.dumps(manifest).encode(),
        "plugin.wasm": wasm
        if wasm is not None
        else module_wasm(imports=imports, handle_wat=handle_wat),
    }
    if readme is not None:
        files["README.md"] = readme.encode()
    home = Path(tempfile.mkdtemp(prefix=f"{id}-{version}-", dir=tmp_path))
    if zip:
        archive = home / f"{id}.zip"
        with zipfile.ZipFile(archive, "w") as bundle:
            for name, content in files.items():
                bundle.writestr(name, content)
        return archive
    folder = home / id
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder
