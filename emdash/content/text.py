"""Text folding shared by search indexing and search queries, so both engines
(FTS5 and tsvector) see the same tokens: NFKD, accents removed, lowercase."""

import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", stripped).casefold()
