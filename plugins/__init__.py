"""First-party plugin bundles, installed as the package ``emdash_plugins``.

Each folder is one bundle (``manifest.json``, ``plugin.wasm``); code finds them through
``emdash.paths.plugins_dir()``.
"""
