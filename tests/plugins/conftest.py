"""Fixtures for every plugin test."""

# The session fixture that builds the SDK's probe and every example from source,
# once per test run.
from tests.plugins.toolchain import builds

__all__ = ["builds"]
