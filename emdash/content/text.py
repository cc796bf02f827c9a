"""Text folding shared by search indexing and search queries, so both engines
(FTS5 and tsvector) see the same tokens: NFKD, accents removed, lowercase."""

import re
import unicodedata

# A word is a run of letters, digits and private-use characters: what FTS5's
# unicode61 tokenizer keeps. Everything else, underscore included, separates words.
_PRIVATE_USE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
WORD = re.compile(rf"(?:[^\W_]|[{_PRIVATE_USE}])+")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", stripped).casefold()


def index_text(text: str) -> str:
    """Folded text already split into words, so both engines only split at spaces
    and so tokenise identically whatever their Unicode tables say."""
    return " ".join(WORD.findall(fold(text)))
