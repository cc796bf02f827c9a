"""Plugin bundles: a folder or a ``.zip`` holding ``manifest.json`` and
``plugin.wasm``, optionally ``README.md`` and ``icon.png``, and a ``src/`` folder the
host ignores (authors keep their sources beside the build).

Reading a bundle never follows a symlink, never writes to disk and never reads more
bytes than the caps below, whatever sizes an archive declares.
"""

import errno
import hashlib
import io
import json
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from emdash.core.errors import ValidationFailed
from emdash.plugins.manifest import Manifest, parse_manifest

MANIFEST_FILE = "manifest.json"
WASM_FILE = "plugin.wasm"
README_FILE = "README.md"
ICON_FILE = "icon.png"
SOURCE_DIR = "src"
BUNDLE_FILES = (MANIFEST_FILE, WASM_FILE, README_FILE, ICON_FILE)

KIB = 1024
MIB = 1024 * KIB
MAX_BUNDLE_BYTES = 16 * MIB
MAX_WASM_BYTES = 8 * MIB
MAX_MANIFEST_BYTES = 64 * KIB
MAX_README_BYTES = 256 * KIB
MAX_ICON_BYTES = 256 * KIB
MAX_ZIP_ENTRIES = 64

WASM_MAGIC = b"\0asm"
WASM_VERSION = b"\x01\0\0\0"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_READ_CHUNK = 64 * KIB
_DRIVE_LETTER = re.compile(r"[A-Za-z]:")
_ZIP_ENCRYPTED_FLAG = 0x1
_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_UNKNOWN_FILE = (
    f"is not a bundle file (a bundle holds {MANIFEST_FILE}, {WASM_FILE}, "
    f"{README_FILE}, {ICON_FILE} and a {SOURCE_DIR}/ folder)"
)


class BundleInvalid(ValidationFailed):
    """A bundle that cannot be installed; ``fields`` maps the offending file to its
    problem."""

    code = "BUNDLE_INVALID"


@dataclass(frozen=True)
class Bundle:
    """The parts of a bundle the host keeps; ``sha256`` is the hex digest of
    ``wasm``."""

    manifest: Manifest
    wasm: bytes
    readme: str | None
    icon: bytes | None
    sha256: str


def read_bundle(path: Path) -> Bundle:
    """Read a bundle folder or ``.zip`` file."""
    label = bundle_label(path)
    if _is_folder(path, label):
        return _assemble(_read_folder(path, label), label)
    return read_bundle_bytes(_read_archive_file(path, label), label)


def bundle_zip(path: Path) -> bytes:
    """A bundle folder or ``.zip`` file as the bytes of a zip archive, to upload
    (labelled ``bundle_label(path)``). A folder's files are read with the checks
    ``read_bundle`` makes, its ``src/`` left out; a ``.zip`` is sent as it is."""
    label = bundle_label(path)
    if not _is_folder(path, label):
        return _read_archive_file(path, label)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in _read_folder(path, label).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def bundle_label(path: Path) -> str:
    """How errors name the bundle at ``path``."""
    return path.name or str(path)


def _is_folder(path: Path, label: str) -> bool:
    """Whether ``path`` is a bundle folder rather than a ``.zip`` file; anything
    else is refused."""
    if path.is_symlink():
        raise _invalid(label, label, "is a symlink; name the bundle itself")
    if path.is_dir():
        return True
    if path.suffix.lower() == ".zip":
        return False
    if not path.exists():
        raise _invalid(label, label, "does not exist")
    raise _invalid(label, label, "is neither a folder nor a .zip file")


def read_bundle_bytes(data: bytes, name: str) -> Bundle:
    """Read a bundle uploaded as a zip archive; ``name`` labels it in errors."""
    return _assemble(_read_zip(data, name), name)


def _invalid(bundle: str, file: str, problem: str) -> BundleInvalid:
    return BundleInvalid(
        f"Invalid plugin bundle '{bundle}': {file} {problem}.",
        fields={file: problem},
    )


def _file_cap(name: str) -> int:
    # Built per call, not at import, so each cap is read where it is enforced.
    return {
        MANIFEST_FILE: MAX_MANIFEST_BYTES,
        WASM_FILE: MAX_WASM_BYTES,
        README_FILE: MAX_README_BYTES,
        ICON_FILE: MAX_ICON_BYTES,
    }[name]


def _read_capped(stream: BinaryIO, bundle: str, name: str, cap: int) -> bytes:
    """Read to the end, refusing as soon as more than ``cap`` bytes arrive."""
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(_READ_CHUNK):
        size += len(chunk)
        if size > cap:
            raise _invalid(bundle, name, f"is larger than {_size(cap)}")
        chunks.append(chunk)
    return b"".join(chunks)


def _size(byte_count: int) -> str:
    if byte_count % MIB == 0:
        return f"{byte_count // MIB} MiB"
    if byte_count % KIB == 0:
        return f"{byte_count // KIB} KiB"
    return f"{byte_count} bytes"


# -- folders --------------------------------------------------------------------------


def _read_folder(path: Path, bundle: str) -> dict[str, bytes]:
    try:
        folder = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as error:
        raise _invalid(bundle, bundle, _open_problem(error)) from None
    try:
        with os.scandir(folder) as entries:
            listing = sorted(entries, key=lambda entry: entry.name)
        files: dict[str, bytes] = {}
        for entry in listing:
            if entry.is_symlink():
                raise _invalid(bundle, entry.name, "is a symlink")
            if entry.name == SOURCE_DIR and entry.is_dir(follow_symlinks=False):
                continue
            if entry.name not in BUNDLE_FILES:
                raise _invalid(bundle, entry.name, _UNKNOWN_FILE)
            files[entry.name] = _read_folder_file(folder, bundle, entry.name)
    finally:
        os.close(folder)
    # The per-file caps keep a folder's files well below MAX_BUNDLE_BYTES together.
    return files


def _read_folder_file(folder: int, bundle: str, name: str) -> bytes:
    with _open_regular_file(name, bundle, name, folder=folder) as stream:
        return _read_capped(stream, bundle, name, _file_cap(name))


def _open_regular_file(
    path: str | Path, bundle: str, name: str, *, folder: int | None = None
) -> BinaryIO:
    """Open a regular file without following a symlink. O_NOFOLLOW closes the gap
    between listing a folder and opening; O_NONBLOCK keeps a FIFO from blocking the
    open before the regular-file check refuses it."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        descriptor = os.open(path, flags, dir_fd=folder)
    except OSError as error:
        raise _invalid(bundle, name, _open_problem(error)) from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise _invalid(bundle, name, "must be a regular file")
    return os.fdopen(descriptor, "rb")


def _open_problem(error: OSError) -> str:
    # O_NOFOLLOW answers ELOOP when the name turned into a symlink after listing.
    if error.errno == errno.ELOOP:
        return "is a symlink"
    return f"cannot be opened ({error.strerror})"


# -- zip archives ---------------------------------------------------------------------


def _read_archive_file(path: Path, bundle: str) -> bytes:
    with _open_regular_file(path, bundle, bundle) as stream:
        return _read_capped(stream, bundle, bundle, MAX_BUNDLE_BYTES)


def _read_zip(data: bytes, bundle: str) -> dict[str, bytes]:
    if len(data) > MAX_BUNDLE_BYTES:
        raise _invalid(bundle, bundle, f"is larger than {_size(MAX_BUNDLE_BYTES)}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise _invalid(bundle, bundle, "is not a readable zip archive") from None
    with archive:
        wanted = _check_entries(archive.infolist(), bundle)
        return {
            name: _read_zip_entry(archive, info, bundle)
            for name, info in wanted.items()
        }


def _check_entries(
    entries: list[zipfile.ZipInfo], bundle: str
) -> dict[str, zipfile.ZipInfo]:
    """Refuse the archive on any bad entry, before anything is decompressed; answer
    the entries to read."""
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _invalid(
            bundle, bundle, f"holds {len(entries)} entries (at most {MAX_ZIP_ENTRIES})"
        )
    wanted: dict[str, zipfile.ZipInfo] = {}
    seen: set[str] = set()
    declared_total = 0
    for info in entries:
        # orig_filename is the name as stored, before zipfile cuts it at a NUL.
        name = info.orig_filename
        if problem := _entry_name_problem(name):
            raise _invalid(bundle, name.replace("\0", "\\0"), problem)
        if name in seen:
            raise _invalid(bundle, name, "appears twice in the archive")
        seen.add(name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _invalid(bundle, name, "is a symlink")
        if info.flag_bits & _ZIP_ENCRYPTED_FLAG:
            raise _invalid(bundle, name, "is encrypted")
        declared_total += info.file_size
        if declared_total > MAX_BUNDLE_BYTES:
            raise _invalid(
                bundle, bundle, f"unpacks to more than {_size(MAX_BUNDLE_BYTES)}"
            )
        if name.startswith(f"{SOURCE_DIR}/"):
            continue
        if name not in BUNDLE_FILES:
            if name.rpartition("/")[2] == MANIFEST_FILE:
                raise _invalid(
                    bundle,
                    name,
                    "is inside a folder; a bundle's files belong at the top "
                    "of the archive",
                )
            raise _invalid(bundle, name, _UNKNOWN_FILE)
        if info.file_size > _file_cap(name):
            raise _invalid(
                bundle, name, f"is larger than {_size(_file_cap(name))} (declared)"
            )
        wanted[name] = info
    return wanted


def _entry_name_problem(name: str) -> str | None:
    """What makes an entry name unsafe to unpack anywhere, or None."""
    if "\0" in name:
        return "has a NUL character in its name"
    if "\\" in name:
        return "uses backslashes in its name"
    if name.startswith("/"):
        return "is an absolute path"
    if _DRIVE_LETTER.match(name):
        return "starts with a drive letter"
    parts = name.removesuffix("/").split("/")
    if ".." in parts:
        return "points outside the bundle (..)"
    if "" in parts or "." in parts:
        return "is not a plain relative path"
    return None


def _read_zip_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, bundle: str
) -> bytes:
    name = info.orig_filename
    if info.compress_type not in _ZIP_METHODS:
        raise _invalid(bundle, name, "uses a compression other than stored or deflate")
    try:
        with archive.open(info) as stream:
            content = _read_capped(stream, bundle, name, _file_cap(name))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise _invalid(bundle, name, f"is damaged in the archive ({error})") from None
    if len(content) != info.file_size:
        raise _invalid(
            bundle,
            name,
            f"unpacks to {len(content)} bytes but declares {info.file_size}",
        )
    return content


# -- contents -------------------------------------------------------------------------


class _RepeatedKey(ValueError):
    pass


def _object_without_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # JSON parsers disagree on which repeat wins; refusing removes the question.
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _RepeatedKey(f"repeats the key '{key}'")
        document[key] = value
    return document


def _refuse_constant(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def _read_manifest(content: bytes, bundle: str) -> Manifest:
    try:
        document = json.loads(
            content.decode("utf-8"),
            object_pairs_hook=_object_without_repeats,
            parse_constant=_refuse_constant,
        )
    except UnicodeDecodeError:
        raise _invalid(bundle, MANIFEST_FILE, "is not UTF-8 text") from None
    except _RepeatedKey as error:
        raise _invalid(bundle, MANIFEST_FILE, str(error)) from None
    except RecursionError:
        raise _invalid(bundle, MANIFEST_FILE, "is nested too deeply") from None
    except ValueError as error:
        raise _invalid(bundle, MANIFEST_FILE, f"is not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise _invalid(bundle, MANIFEST_FILE, "must hold a JSON object")
    return parse_manifest(document)


def _assemble(files: dict[str, bytes], bundle: str) -> Bundle:
    for required in (MANIFEST_FILE, WASM_FILE):
        if required not in files:
            raise _invalid(bundle, required, "is missing")
    manifest = _read_manifest(files[MANIFEST_FILE], bundle)
    wasm = files[WASM_FILE]
    if not wasm.startswith(WASM_MAGIC):
        raise _invalid(bundle, WASM_FILE, "is not a WebAssembly module")
    if wasm[4:8] != WASM_VERSION:
        raise _invalid(bundle, WASM_FILE, "is not a version 1 WebAssembly module")
    readme = None
    if README_FILE in files:
        try:
            readme = files[README_FILE].decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid(bundle, README_FILE, "is not UTF-8 text") from None
    icon = files.get(ICON_FILE)
    if icon is not None and not icon.startswith(PNG_SIGNATURE):
        raise _invalid(bundle, ICON_FILE, "is not a PNG image")
    return Bundle(
        manifest=manifest,
        wasm=wasm,
        readme=readme,
        icon=icon,
        sha256=hashlib.sha256(wasm).hexdigest(),
    )
