"""Choosing the reply language (German or English) for a question."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zäöüß]+")
_GERMAN = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "wie",
        "was",
        "wer",
        "wo",
        "wann",
        "warum",
        "welche",
        "ich",
        "wir",
        "sie",
        "es",
        "ein",
        "eine",
        "einen",
        "mit",
        "auf",
        "für",
        "von",
        "zu",
        "im",
        "bei",
        "nach",
        "über",
        "gibt",
        "darf",
        "muss",
        "kann",
        "mein",
        "meine",
        "unsere",
        "bitte",
    ]
)
_ENGLISH = frozenset(
    [
        "the",
        "and",
        "is",
        "not",
        "how",
        "what",
        "who",
        "where",
        "when",
        "why",
        "which",
        "i",
        "we",
        "you",
        "it",
        "a",
        "an",
        "with",
        "on",
        "for",
        "of",
        "to",
        "in",
        "at",
        "after",
        "about",
        "there",
        "may",
        "must",
        "can",
        "my",
        "our",
        "please",
        "does",
        "do",
    ]
)


def detect_language(text: str, hint: str | None = None) -> str:
    """``de`` or ``en``. Umlauts and German function words win; ``hint`` (a locale) breaks ties."""
    words = _WORD.findall(text.lower())
    german = sum(w in _GERMAN for w in words) + 2 * sum(ch in "äöüß" for ch in text.lower())
    english = sum(w in _ENGLISH for w in words)
    if german > english:
        return "de"
    if english > german:
        return "en"
    if hint and hint.lower().startswith("de"):
        return "de"
    return "en"
