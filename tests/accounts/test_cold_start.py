"""A cold process loads the passkey library only when a ceremony runs."""

import os
import subprocess
import sys


def test_serving_urls_does_not_load_webauthn():
    script = (
        "import sys, django; django.setup(); import emdash.urls; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'webauthn'))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "emdash.settings"}

    loaded = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", script], env=env, capture_output=True, text=True
    )

    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"
