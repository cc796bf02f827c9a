"""Encryption at rest for plugin settings of type ``secret``.

The key is derived from ``SECRET_KEY`` (HKDF-SHA256), so there is no second key to
keep; a key in ``SECRET_KEY_FALLBACKS`` still decrypts, so rotating ``SECRET_KEY``
the Django way keeps secrets readable until they are saved again. Each token also
seals the plugin and setting it belongs to: a ciphertext copied into another
plugin's row, or under another key, does not decrypt there.
"""

import base64
import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_SALT = b"emdash.plugins.secrets"
_INFO = b"plugin settings, fernet key v1"


class SecretUnreadable(Exception):
    """A stored secret that no current key decrypts for this plugin and setting
    (``SECRET_KEY`` changed without a fallback, or the row was tampered with)."""


@cache
def _fernet_for(secret_key: str) -> Fernet:
    key = HKDF(algorithm=SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet() -> MultiFernet:
    # Read per call, not at import: tests and key rotation change the settings.
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([_fernet_for(key) for key in keys])


def encrypt_secret(plugin_id: str, setting: str, value: str) -> str:
    """The token to store for ``value`` of ``plugin_id``'s setting ``setting``."""
    sealed = json.dumps(
        {"plugin": plugin_id, "setting": setting, "value": value},
        separators=(",", ":"),
    )
    return _fernet().encrypt(sealed.encode()).decode("ascii")


def decrypt_secret(plugin_id: str, setting: str, token: str) -> str:
    """The value a token from ``encrypt_secret`` holds; SecretUnreadable when no
    key opens it or it was sealed for another plugin or setting."""
    try:
        sealed = json.loads(_fernet().decrypt(token.encode("ascii")))
    except (InvalidToken, UnicodeError, ValueError, AttributeError):
        raise SecretUnreadable(
            f"the secret {setting} of plugin '{plugin_id}' cannot be decrypted"
        ) from None
    if (
        not isinstance(sealed, dict)
        or sealed.get("plugin") != plugin_id
        or sealed.get("setting") != setting
        or not isinstance(sealed.get("value"), str)
    ):
        raise SecretUnreadable(
            f"the secret {setting} of plugin '{plugin_id}' was sealed for another "
            "plugin or setting"
        )
    return sealed["value"]
