"""Content services: the only code that writes content. Every door calls these."""
