from collections.abc import Callable, Mapping

import pytest

from emdash.plugins.sandbox.host import HostImpl, LoadedPlugin

Load = Callable[..., LoadedPlugin]


@pytest.fixture
def load() -> Load:
    """Load a fixture module as plugin ``test-plugin`` (or ``plugin_id``)."""

    def load(
        wasm: bytes,
        *,
        capabilities: frozenset[str] = frozenset(),
        host_functions: Mapping[str, HostImpl] | None = None,
        plugin_id: str = "test-plugin",
    ) -> LoadedPlugin:
        return LoadedPlugin(
            plugin_id,
            wasm,
            capabilities=capabilities,
            host_functions=host_functions,
        )

    return load
