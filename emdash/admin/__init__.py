"""The admin: server-rendered pages at /_emdash/admin/ that call the services."""
