"""Content importers, installed as the package ``emdash_importers``."""
