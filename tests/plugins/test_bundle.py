"""Plugin bundles, as folders and zip archives: what is read, and every way a bundle
is refused (each error names the file and the problem)."""

import hashlib
import io
import json
import os
import stat
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest
import wasmtime

from emdash.core.errors import ValidationFailed
from emdash.plugins import bundle as bundles
from emdash.plugins.bundle import Bundle, BundleInvalid, read_bundle, read_bundle_bytes
from emdash.plugins.manifest import ManifestInvalid, parse_manifest

WASM = bytes(wasmtime.wat2wasm("(module)"))
PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + bytes(13)
MANIFEST: dict[str, Any] = {
    "id": "seo-guard",
    "name": "SEO guard",
    "version": "1.0.0",
    "license": "MIT",
    "capabilities": [],
    "hooks": {"content:beforeSave": {}},
}
MIB = 1024 * 1024


def files(changes: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """A valid bundle's files, with ``changes`` added or replaced."""
    return {
        "manifest.json": json.dumps(MANIFEST).encode(),
        "plugin.wasm": WASM,
        **(changes or {}),
    }


def make_folder(root: Path, contents: dict[str, bytes]) -> Path:
    root.mkdir()
    for name, content in contents.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def make_zip(
    entries: dict[str, bytes] | list[tuple[str | zipfile.ZipInfo, bytes]],
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    items = entries.items() if isinstance(entries, dict) else entries
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in items:
            archive.writestr(name, content)
    return buffer.getvalue()


def patch_entry(data: bytes, name: str, field: str, value: bytes) -> bytes:
    """Overwrite one header field of an entry, in its local header and in its
    central directory record alike (offsets from the zip specification)."""
    local_offset, central_offset = {
        "flags": (6, 8),
        "uncompressed_size": (22, 24),
    }[field]
    patched = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        local = archive.getinfo(name).header_offset
    patched[local + local_offset : local + local_offset + len(value)] = value
    record = data.index(b"PK\x01\x02")
    while True:
        name_length, extra_length, comment_length = struct.unpack_from(
            "<HHH", data, record + 28
        )
        if data[record + 46 : record + 46 + name_length] == name.encode():
            break
        record += 46 + name_length + extra_length + comment_length
    patched[record + central_offset : record + central_offset + len(value)] = value
    return bytes(patched)


def refusal(source: Path | bytes, name: str = "upload.zip") -> BundleInvalid:
    def read() -> Bundle:
        if isinstance(source, Path):
            return read_bundle(source)
        return read_bundle_bytes(source, name)

    with pytest.raises(BundleInvalid) as caught:
        read()
    return caught.value


def refused(source: Path | bytes) -> dict[str, str]:
    return refusal(source).fields


# -- what a bundle gives ---------------------------------------------------------------


def test_a_minimal_folder_bundle(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "seo-guard", files())

    bundle = read_bundle(folder)

    assert bundle == Bundle(
        manifest=parse_manifest(MANIFEST),
        wasm=WASM,
        readme=None,
        icon=None,
        sha256=hashlib.sha256(WASM).hexdigest(),
    )


def test_a_full_folder_bundle_ignores_its_sources(tmp_path: Path) -> None:
    contents = files(
        {
            "README.md": "# SEO guard\n\nFills descriptions — and more.".encode(),
            "icon.png": PNG,
            "src/index.ts": b"export function handle(): void {}",
            "src/assembly/deep.bin": b"\xff\xfe",
        }
    )
    folder = make_folder(tmp_path / "seo-guard", contents)
    (folder / "src" / "outside").symlink_to("/etc/passwd")

    bundle = read_bundle(folder)

    assert bundle.readme == "# SEO guard\n\nFills descriptions — and more."
    assert bundle.icon == PNG
    assert bundle.wasm == WASM
    assert bundle.manifest.id == "seo-guard"


def test_a_zip_bundle_reads_like_its_folder(tmp_path: Path) -> None:
    contents = files(
        {"README.md": b"# Read me", "icon.png": PNG, "src/index.ts": b"code"}
    )
    folder = make_folder(tmp_path / "seo-guard", contents)
    archive = tmp_path / "seo-guard.zip"
    archive.write_bytes(make_zip([("src/", b""), *contents.items()]))

    from_folder = read_bundle(folder)

    assert read_bundle(archive) == from_folder
    assert read_bundle_bytes(archive.read_bytes(), "upload.zip") == from_folder


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_stored_and_deflated_entries_are_read(compression: int) -> None:
    bundle = read_bundle_bytes(make_zip(files(), compression), "upload.zip")

    assert bundle.wasm == WASM


def test_a_zip_named_in_capitals_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "SEO-GUARD.ZIP"
    archive.write_bytes(make_zip(files()))

    assert read_bundle(archive).manifest.id == "seo-guard"


# -- the error itself ------------------------------------------------------------------


def test_the_error_is_a_422_naming_the_bundle_and_the_file() -> None:
    error = refusal(make_zip(files({"plugin.wasm": b"MZ\x90\x00"})), "seo-guard.zip")

    assert isinstance(error, ValidationFailed)
    assert error.status == 422
    assert error.code == "BUNDLE_INVALID"
    assert error.message == (
        "Invalid plugin bundle 'seo-guard.zip': plugin.wasm is not a WebAssembly "
        "module."
    )
    assert error.fields == {"plugin.wasm": "is not a WebAssembly module"}


# -- which files -----------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["manifest.json", "plugin.wasm"])
def test_the_manifest_and_the_module_are_required(tmp_path: Path, missing: str) -> None:
    contents = files()
    del contents[missing]
    folder = make_folder(tmp_path / "b", contents)

    assert refused(folder) == {missing: "is missing"}
    assert refused(make_zip(contents)) == {missing: "is missing"}


UNKNOWN = (
    "is not a bundle file (a bundle holds manifest.json, plugin.wasm, README.md, "
    "icon.png and a src/ folder)"
)


@pytest.mark.parametrize("name", ["package.json", ".DS_Store", "readme.md", "src"])
def test_unknown_top_level_files_are_refused(tmp_path: Path, name: str) -> None:
    contents = {**files(), name: b"{}"}

    assert refused(make_folder(tmp_path / "b", contents)) == {name: UNKNOWN}
    assert refused(make_zip(contents)) == {name: UNKNOWN}


def test_unknown_top_level_folders_are_refused(tmp_path: Path) -> None:
    contents = {**files(), "assets/logo.svg": b"<svg/>"}

    assert refused(make_folder(tmp_path / "b", contents)) == {"assets": UNKNOWN}
    assert refused(make_zip(contents)) == {"assets/logo.svg": UNKNOWN}
    assert refused(make_zip([("assets/", b""), *files().items()])) == {
        "assets/": UNKNOWN
    }


def test_a_zip_with_its_files_inside_a_folder_says_so() -> None:
    data = make_zip({f"seo-guard/{name}": content for name, content in files().items()})

    assert refused(data) == {
        "seo-guard/manifest.json": "is inside a folder; a bundle's files belong at "
        "the top of the archive"
    }


def test_a_bundle_file_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "b", {"manifest.json": files()["manifest.json"]})
    (folder / "plugin.wasm").mkdir()

    assert refused(folder) == {"plugin.wasm": "must be a regular file"}
    assert refused(make_zip([("plugin.wasm/", b""), *files().items()])) == {
        "plugin.wasm/": UNKNOWN
    }


def test_a_fifo_in_a_folder_is_refused_without_blocking(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "b", files())
    os.mkfifo(folder / "README.md")

    assert refused(folder) == {"README.md": "must be a regular file"}


# -- symlinks --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["plugin.wasm", "manifest.json", "README.md"])
def test_a_symlinked_file_in_a_folder_is_refused(tmp_path: Path, name: str) -> None:
    outside = tmp_path / "outside"
    outside.write_bytes(files()[name] if name in files() else b"# hi")
    contents = files()
    contents.pop(name, None)
    folder = make_folder(tmp_path / "b", contents)
    (folder / name).symlink_to(outside)

    assert refused(folder) == {name: "is a symlink"}


def test_a_dangling_symlink_in_a_folder_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "b", files())
    (folder / "icon.png").symlink_to(tmp_path / "nowhere.png")

    assert refused(folder) == {"icon.png": "is a symlink"}


def test_a_symlinked_src_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    folder = make_folder(tmp_path / "b", files())
    (folder / "src").symlink_to(tmp_path / "sources")

    assert refused(folder) == {"src": "is a symlink"}


def test_a_symlinked_bundle_folder_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "b", files())
    link = tmp_path / "link"
    link.symlink_to(folder)

    assert refused(link) == {"link": "is a symlink; name the bundle itself"}


def test_a_symlinked_zip_file_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "b.zip"
    archive.write_bytes(make_zip(files()))
    link = tmp_path / "link.zip"
    link.symlink_to(archive)

    assert refused(link) == {"link.zip": "is a symlink; name the bundle itself"}


@pytest.mark.parametrize("name", ["plugin.wasm", "README.md", "src/link"])
def test_a_symlink_entry_in_a_zip_is_refused(name: str) -> None:
    link = zipfile.ZipInfo(name)
    link.create_system = 3  # Unix, where the mode lives in external_attr
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    entries = [(n, c) for n, c in files().items() if n != name]

    data = make_zip([*entries, (link, b"/etc/passwd")])

    assert refused(data) == {name: "is a symlink"}


# -- zip entry names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../evil.txt", "points outside the bundle (..)"),
        ("src/../../evil.txt", "points outside the bundle (..)"),
        ("../plugin.wasm", "points outside the bundle (..)"),
        ("/etc/cron.d/evil", "is an absolute path"),
        ("C:/Windows/evil.dll", "starts with a drive letter"),
        ("c:evil", "starts with a drive letter"),
        ("src\\..\\..\\evil.txt", "uses backslashes in its name"),
        ("./manifest.json", "is not a plain relative path"),
        ("src//index.ts", "is not a plain relative path"),
    ],
)
def test_unsafe_entry_names_are_refused(name: str, problem: str) -> None:
    data = make_zip([*files().items(), (name, b"x")])

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert name in archive.namelist()  # the archive really holds the name
    assert refused(data) == {name: problem}


def test_a_nul_in_an_entry_name_is_refused() -> None:
    data = make_zip([*files().items(), ("src/aXb", b"x")]).replace(
        b"src/aXb", b"src/a\0b"
    )

    assert refused(data) == {"src/a\\0b": "has a NUL character in its name"}


def test_a_repeated_entry_is_refused() -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = make_zip([*files().items(), ("plugin.wasm", b"\0asm\x01\0\0\0(evil)")])

    assert refused(data) == {"plugin.wasm": "appears twice in the archive"}


def test_an_encrypted_entry_is_refused() -> None:
    data = patch_entry(make_zip(files()), "plugin.wasm", "flags", b"\x01\x00")

    assert refused(data) == {"plugin.wasm": "is encrypted"}


def test_an_unsupported_compression_is_refused() -> None:
    data = make_zip(files(), compression=zipfile.ZIP_BZIP2)

    assert refused(data) == {
        "manifest.json": "uses a compression other than stored or deflate"
    }


# -- sizes and counts ------------------------------------------------------------------


def test_64_entries_are_accepted_and_65_refused() -> None:
    sources = [(f"src/{index}.ts", b"") for index in range(62)]

    assert read_bundle_bytes(make_zip([*files().items(), *sources]), "b.zip")
    error = refusal(make_zip([*files().items(), *sources, ("src/62.ts", b"")]))
    assert error.fields == {"upload.zip": "holds 65 entries (at most 64)"}


def test_a_declared_size_over_the_module_cap_is_refused_before_unpacking() -> None:
    data = make_zip(files({"plugin.wasm": WASM + bytes(8 * MIB - len(WASM) + 1)}))

    assert len(data) < 64 * 1024  # a small archive that would unpack to 8 MiB + 1
    assert refused(data) == {"plugin.wasm": "is larger than 8 MiB (declared)"}


def test_the_module_cap_itself_is_allowed() -> None:
    data = make_zip(files({"plugin.wasm": WASM + bytes(8 * MIB - len(WASM))}))

    assert len(read_bundle_bytes(data, "b.zip").wasm) == 8 * MIB


@pytest.mark.parametrize(
    ("name", "cap"),
    [
        ("manifest.json", "64 KiB"),
        ("README.md", "256 KiB"),
        ("icon.png", "256 KiB"),
    ],
)
def test_declared_sizes_over_each_file_cap_are_refused(name: str, cap: str) -> None:
    limit = {"64 KiB": 64 * 1024, "256 KiB": 256 * 1024}[cap]
    data = make_zip({**files(), name: b" " * (limit + 1)})

    assert refused(data) == {name: f"is larger than {cap} (declared)"}


@pytest.mark.parametrize(
    ("name", "limit", "cap"),
    [
        ("manifest.json", 64 * 1024, "64 KiB"),
        ("README.md", 256 * 1024, "256 KiB"),
        ("icon.png", 256 * 1024, "256 KiB"),
    ],
)
def test_folder_files_over_their_cap_are_refused(
    tmp_path: Path, name: str, limit: int, cap: str
) -> None:
    folder = make_folder(tmp_path / "b", files({name: b" " * (limit + 1)}))

    assert refused(folder) == {name: f"is larger than {cap}"}


def test_a_zip_unpacking_beyond_the_bundle_cap_is_refused() -> None:
    sources = [(f"src/{index}.bin", bytes(6 * MIB)) for index in range(3)]

    data = make_zip([*files().items(), *sources])

    assert refused(data) == {"upload.zip": "unpacks to more than 16 MiB"}


def test_an_archive_larger_than_the_bundle_cap_is_refused_unread() -> None:
    assert refused(bytes(16 * MIB + 1)) == {"upload.zip": "is larger than 16 MiB"}


def test_a_declared_size_smaller_than_the_content_is_caught() -> None:
    wasm = WASM + bytes(1000)
    data = patch_entry(
        make_zip(files({"plugin.wasm": wasm})),
        "plugin.wasm",
        "uncompressed_size",
        struct.pack("<I", 100),
    )

    assert refused(data) == {
        "plugin.wasm": "is damaged in the archive (Bad CRC-32 for file 'plugin.wasm')"
    }


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_declared_size_larger_than_the_content_is_caught(compression: int) -> None:
    data = patch_entry(
        make_zip(files(), compression),
        "plugin.wasm",
        "uncompressed_size",
        struct.pack("<I", 5000),
    )

    assert refused(data) == {
        "plugin.wasm": f"unpacks to {len(WASM)} bytes but declares 5000"
    }


def test_reading_stops_at_the_cap_whatever_the_size_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundles, "MAX_WASM_BYTES", 16)
    folder = make_folder(tmp_path / "b", files({"plugin.wasm": WASM + bytes(9)}))

    assert refused(folder) == {"plugin.wasm": "is larger than 16 bytes"}


def test_a_module_at_the_cap_is_read_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundles, "MAX_WASM_BYTES", 16)
    folder = make_folder(tmp_path / "b", files({"plugin.wasm": WASM + bytes(8)}))

    assert read_bundle(folder).wasm == WASM + bytes(8)


def test_a_folder_module_over_the_real_cap_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "b", files({"plugin.wasm": WASM + bytes(8 * MIB)}))

    assert refused(folder) == {"plugin.wasm": "is larger than 8 MiB"}


# -- contents --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wasm", "problem"),
    [
        (b"", "is not a WebAssembly module"),
        (b"\0as", "is not a WebAssembly module"),
        (b"(module)", "is not a WebAssembly module"),
        (b"\0asm", "is not a version 1 WebAssembly module"),
        (b"\0asm\x0d\0\x01\0", "is not a version 1 WebAssembly module"),
    ],
)
def test_a_module_needs_the_wasm_magic_and_version_1(
    tmp_path: Path, wasm: bytes, problem: str
) -> None:
    assert refused(make_folder(tmp_path / "b", files({"plugin.wasm": wasm}))) == {
        "plugin.wasm": problem
    }


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"", "is not valid JSON (Expecting value: line 1 column 1 (char 0))"),
        (
            b"{'id': 1}",
            "is not valid JSON (Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1))",
        ),
        (b"[]", "must hold a JSON object"),
        (b'"seo-guard"', "must hold a JSON object"),
        (b'{"id": "a", "id": "b"}', "repeats the key 'id'"),
        (b'{"hooks": {"cron": {}, "cron": {}}}', "repeats the key 'cron'"),
        (b'{"x": NaN}', "is not valid JSON (NaN is not JSON)"),
        (b"[" * 60000, "is nested too deeply"),
    ],
)
def test_a_manifest_must_be_a_utf8_json_object(
    tmp_path: Path, manifest: bytes, problem: str
) -> None:
    folder = make_folder(tmp_path / "b", files({"manifest.json": manifest}))

    assert refused(folder) == {"manifest.json": problem}


def test_an_invalid_manifest_reports_every_field(tmp_path: Path) -> None:
    manifest = {**MANIFEST, "version": "1", "capabilities": ["files:read"]}
    folder = make_folder(
        tmp_path / "b", files({"manifest.json": json.dumps(manifest).encode()})
    )

    with pytest.raises(ManifestInvalid) as caught:
        read_bundle(folder)

    assert sorted(caught.value.fields) == ["capabilities[0]", "version"]


def test_a_readme_must_be_utf8(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "b", files({"README.md": b"caf\xe9"}))

    assert refused(folder) == {"README.md": "is not UTF-8 text"}


@pytest.mark.parametrize("icon", [b"", b"GIF89a", b"\x89PNG\r\n", b"<svg/>"])
def test_an_icon_must_be_a_png(tmp_path: Path, icon: bytes) -> None:
    folder = make_folder(tmp_path / "b", files({"icon.png": icon}))

    assert refused(folder) == {"icon.png": "is not a PNG image"}


# -- paths -----------------------------------------------------------------------------


def test_a_path_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path / "gone") == {"gone": "does not exist"}


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    tarball = tmp_path / "b.tar"
    tarball.write_bytes(b"not a bundle")
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"not a zip")

    assert refused(tarball) == {"b.tar": "is neither a folder nor a .zip file"}
    assert refused(fake) == {"fake.zip": "is not a readable zip archive"}
