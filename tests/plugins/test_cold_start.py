"""A cold process loads wasmtime only when a plugin runs."""

import os
import subprocess
import sys

SCRIPT = """
import sys, django
django.setup()
import emdash.urls
from emdash.core import hooks
print(sorted(m for m in sys.modules if m.split('.')[0] == 'wasmtime'))
print(sorted({r.owner for rs in hooks._registry.values() for r in rs}))
"""


def test_serving_urls_with_the_plugin_dispatchers_does_not_load_wasmtime():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "emdash.settings"}

    loaded = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True
    )

    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.splitlines() == ["[]", "['plugins']"]
