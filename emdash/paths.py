"""Where the folders that ship beside ``emdash`` are on disk.

The top-level ``themes/``, ``plugins/`` and ``skills/`` folders are installed as the
packages ``emdash_themes``, ``emdash_plugins`` and ``emdash_skills``; resolving them
through importlib finds the repository folders in an editable install and the copies
in site-packages otherwise, whatever the current directory is.
"""

from functools import cache
from importlib.resources import files
from pathlib import Path


@cache
def package_dir(package: str) -> Path:
    """The folder of an installed package, which must be plain files on disk."""
    location = files(package)
    if not isinstance(location, Path):
        # A zipped or namespace install has no single folder to hand out.
        raise TypeError(f"{package} is not installed as a folder: {location!r}")
    return location


def themes_dir() -> Path:
    return package_dir("emdash_themes")


def plugins_dir() -> Path:
    return package_dir("emdash_plugins")


def skills_dir() -> Path:
    return package_dir("emdash_skills")
