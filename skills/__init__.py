"""Agent skills, installed as the package ``emdash_skills``.

Each folder is one skill with its ``SKILL.md``; code finds them through
``emdash.paths.skills_dir()``.
"""
