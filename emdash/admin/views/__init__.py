"""Admin pages, one module per domain."""
