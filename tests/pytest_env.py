"""Loaded with ``-p`` before pytest-django reads the settings, so these take effect.

A non-UTC zone catches naive datetimes; a throwaway data dir keeps generated
secrets and files out of ./var; a zero epoch memo makes cache tests deterministic.
"""

import os
import tempfile

os.environ.setdefault("EMDASH_TIME_ZONE", "America/Sao_Paulo")
os.environ.setdefault("EMDASH_DATA_DIR", tempfile.mkdtemp(prefix="emdash-test-"))
os.environ.setdefault("EMDASH_EPOCH_MEMO_SECONDS", "0")
