"""First-party plugin bundles, installed as the package ``emdash_plugins``.

Each folder is one bundle (``manifest.json``, ``plugin.wasm``); code finds them through
``emdash.paths.plugins_dir()``. ``sdk/`` holds the AssemblyScript and C SDKs, and
``build.build_plugin`` builds a bundle's ``plugin.wasm`` from its ``src/`` with npm.
"""
