"""First-party themes, installed as the package ``emdash_themes``.

Each folder is one theme (``theme.json``, templates, static files, ``seed.json``); code
finds them through ``emdash.paths.themes_dir()``.
"""
