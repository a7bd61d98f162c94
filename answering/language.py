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


def clear_language(text: str) -> str | None:
    """``de`` or ``en`` when the words of ``text`` say so, ``None`` when they do not decide.

    Umlauts and German function words count for German, English function words for English.
    """
    lowered = text.lower()
    words = _WORD.findall(lowered)
    german = sum(w in _GERMAN for w in words) + 2 * sum(ch in "äöüß" for ch in lowered)
    english = sum(w in _ENGLISH for w in words)
    if german > english:
        return "de"
    if english > german:
        return "en"
    return None


def locale_language(locale: str | None) -> str | None:
    """``de`` or ``en`` for a locale such as ``de-DE``, ``en_us`` or ``de``; ``None`` for others."""
    primary = re.split(r"[-_]", (locale or "").strip().lower(), maxsplit=1)[0]
    return primary if primary in ("de", "en") else None


def detect_language(text: str, hint: str | None = None) -> str:
    """``de`` or ``en``. Umlauts and German function words win; ``hint`` (a locale) breaks ties."""
    return clear_language(text) or ("de" if locale_language(hint) == "de" else "en")


def reply_language(text: str, activity_locale: str | None, client_info_locale: str | None = None) -> str:
    """The language to answer ``text`` in: its own when clear, else the first German or English
    locale of the activity (``locale``) and the client (the ``clientInfo`` entity), else German."""
    return clear_language(text) or locale_language(activity_locale) or locale_language(client_info_locale) or "de"
