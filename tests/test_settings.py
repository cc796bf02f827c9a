"""Settings come from the environment; the secret key is generated, never hard-coded."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = (
    "import json, emdash.settings as s; print(json.dumps({"
    "'key': s.SECRET_KEY, 'hosts': s.ALLOWED_HOSTS, 'debug': s.DEBUG,"
    "'cache': s.CACHES['default']['BACKEND'], 'db': s.DATABASES['default']['ENGINE'],"
    "'site': s.SITE_URL}))"
)


def settings_with(env: dict[str, str]) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMDASH_")}
    clean.pop("DATABASE_URL", None)
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_secret_key_is_generated_once_into_the_data_dir(tmp_path: Path) -> None:
    first = settings_with({"EMDASH_DATA_DIR": str(tmp_path)})
    second = settings_with({"EMDASH_DATA_DIR": str(tmp_path)})

    key_file = tmp_path / "secret_key"
    assert first["key"] == second["key"] == key_file.read_text()
    assert len(first["key"]) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret")] == []


def test_defaults_and_overrides(tmp_path: Path) -> None:
    defaults = settings_with({"EMDASH_DATA_DIR": str(tmp_path)})
    custom = settings_with(
        {
            "EMDASH_DATA_DIR": str(tmp_path),
            "EMDASH_SECRET_KEY": "from-the-environment",
            "EMDASH_SITE_URL": "https://news.example.org",
            "EMDASH_CACHE_URL": "redis://127.0.0.1:6379/0",
            "EMDASH_DEBUG": "1",
        }
    )

    assert defaults["site"] == "http://localhost:8000"
    assert defaults["hosts"] == ["localhost", "127.0.0.1"]
    assert defaults["debug"] is False
    assert defaults["cache"].endswith("LocMemCache")
    assert defaults["db"] == "django.db.backends.sqlite3"
    assert custom["key"] == "from-the-environment"
    assert custom["hosts"] == ["news.example.org", "localhost", "127.0.0.1"]
    assert custom["cache"].endswith("RedisCache")
    assert custom["debug"] is True


def test_an_unknown_cache_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failed:
        settings_with(
            {"EMDASH_DATA_DIR": str(tmp_path), "EMDASH_CACHE_URL": "memcached://x"}
        )

    assert "EMDASH_CACHE_URL must be redis:// or locmem://" in failed.value.stderr


@pytest.mark.parametrize(
    ("url", "backend", "options"),
    [
        ("console:", "console", {}),
        ("locmem:", "locmem", {}),
        ("file:///var/mail/emdash", "filebased", {"file_path": "/var/mail/emdash"}),
        (
            "smtp://me%40example.com:p%3Ass@mail.example.com:587?starttls=1",
            "smtp",
            {
                "host": "mail.example.com",
                "port": 587,
                "username": "me@example.com",
                "password": "p:ss",
                "use_ssl": False,
                "use_tls": True,
                "timeout": 10,
            },
        ),
        (
            "smtps://mail.example.com",
            "smtp",
            {
                "host": "mail.example.com",
                "port": 465,
                "username": "",
                "password": "",
                "use_ssl": True,
                "use_tls": False,
                "timeout": 10,
            },
        ),
    ],
)
def test_email_urls_build_the_default_mailer(url, backend, options) -> None:
    from emdash.settings import mailer_config

    config = mailer_config(url)

    assert config["BACKEND"] == f"django.core.mail.backends.{backend}.EmailBackend"
    assert config.get("OPTIONS", {}) == options


def test_an_unknown_email_url_is_refused() -> None:
    from emdash.settings import mailer_config

    with pytest.raises(ValueError, match="EMDASH_EMAIL_URL must start with"):
        mailer_config("sendmail:")


def test_the_plugin_host_map_is_parsed_and_checked() -> None:
    from emdash.settings import host_map

    assert host_map("") == {}
    assert host_map(" Hooks.Example.com.=127.0.0.1 , intranet.example=10.0.0.5") == {
        "hooks.example.com": "127.0.0.1",
        "intranet.example": "10.0.0.5",
    }
    with pytest.raises(ValueError, match="items are host=address"):
        host_map("hooks.example.com")
