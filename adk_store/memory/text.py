"""What memory keeps of an event or entry, and how a query becomes words.

The rules follow ADK's ``InMemoryMemoryService``: an event is remembered
when its content has parts; its text is its parts' text joined by spaces;
a query is its Unicode words, lower-cased. adk-store also leaves out what
cannot be searched or must not be kept: partial (streamed) events, whose
final event comes later, and events whose parts hold no text. State deltas,
``temp:`` keys included, are never read: only content is remembered.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING

from adk_store.schema import MAX_SEARCH_TEXT

if TYPE_CHECKING:
    from google.genai import types

# The most distinct words of a query that are searched for: a query is a
# question or a user's message (``preload_memory`` sends the whole message).
MAX_QUERY_WORDS = 64
_WORD = re.compile(r"\w+")


def searchable_text(content: types.Content | None) -> str | None:
    """The text of ``content`` as the index sees it, or None when there is none to search."""
    if content is None or not content.parts:
        return None
    text = " ".join(part.text for part in content.parts if part.text)
    if not _WORD.search(text):
        return None
    return text[:MAX_SEARCH_TEXT]


def query_words(query: str) -> list[str]:
    """The distinct lower-case words of ``query``, in order, at most `MAX_QUERY_WORDS`.

    Only ``\\w+`` runs are kept, so no character of the query can act as an
    operator of any engine's query language.
    """
    words: dict[str, None] = {}
    for word in _WORD.findall(unicodedata.normalize("NFC", query)):
        words.setdefault(word.lower(), None)
        if len(words) == MAX_QUERY_WORDS:
            break
    return list(words)


def entry_timestamp(timestamp: float) -> str:
    """An event's time as ADK's in-memory service gives it to a model: local ISO 8601."""
    return datetime.fromtimestamp(timestamp).isoformat()
