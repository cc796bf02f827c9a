from django.apps import AppConfig


class PluginsConfig(AppConfig):
    name = "emdash.plugins"
    label = "plugins"
    verbose_name = "EmDash plugins"

    def ready(self) -> None:
        # The runtime imports no wasmtime until a plugin actually runs.
        from emdash.plugins import runtime

        runtime.register_hooks()
