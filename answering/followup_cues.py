"""Which questions need the conversation before them: German and English cues.

Both languages' cues are always checked (people mix languages):

* anaphora and deixis: "dafür", "davon", "dort", "dies…", a demonstrative "der/die/das"
  (one followed by a stop word, by nothing, or opening the question before a lower-case word;
  "das Tagesgericht" is an article), "it", "they", "that", "this", a deictic "there";
* elliptic openers: "Und …", "Aber …", "Auch …", "Was ist mit …", "And …", "What about …",
  "Also …", and short questions that open with a preposition ("Bei Teilzeit?", "In Munich?");
* fewer than :data:`MIN_SUBJECT_WORDS` words of its own that name a subject (content words as
  ``retrieval.lexical`` counts them, less a few that name none, such as "viele" or "apply"); one
  long German compound in a full sentence is enough ("Wer ist unser Datenschutzbeauftragter?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.lexical import STOPWORDS, content_words

MIN_SUBJECT_WORDS = 2
"""A question with fewer subject words than this is read against the conversation, unless its one
subject word is a long compound (:data:`COMPOUND_CHARS`) in a sentence of three words or more."""
COMPOUND_CHARS = 10
_WORD = re.compile(r"\w+(?:-\w+)*")

_OPENERS = (
    ("und",),
    ("aber",),
    ("oder",),
    ("auch",),
    ("sowie",),
    ("was", "ist", "mit"),
    ("was", "gilt", "für"),
    ("wie", "ist", "es"),
    ("wie", "sieht", "es"),
    ("wie", "steht", "es"),
    ("and",),
    ("but",),
    ("or",),
    ("also",),
    ("what", "about"),
    ("how", "about"),
    ("what", "if"),
    ("same", "for"),
)
_PREPOSITIONS = frozenset(
    [
        "bei",
        "für",
        "fuer",
        "in",
        "im",
        "am",
        "an",
        "ab",
        "nach",
        "mit",
        "ohne",
        "während",
        "vor",
        "zu",
        "zum",
        "zur",
        "for",
        "in",
        "at",
        "on",
        "with",
        "without",
        "during",
        "after",
        "before",
        "from",
    ]
)
MAX_ELLIPSIS_WORDS = 4
"""A question opening with a preposition is elliptic if it has at most this many words."""

_ANAPHORA = frozenset(
    [
        "dafür",
        "dafuer",
        "davon",
        "dazu",
        "darauf",
        "daran",
        "damit",
        "dabei",
        "darüber",
        "darueber",
        "darin",
        "danach",
        "davor",
        "dort",
        "dorthin",
        "dahin",
        "da",
        "dies",
        "diese",
        "dieser",
        "dieses",
        "diesen",
        "diesem",
        "derselbe",
        "dieselbe",
        "dasselbe",
        "ebenfalls",
        "it",
        "its",
        "they",
        "them",
        "their",
        "there",
        "that",
        "this",
        "these",
        "those",
        "ones",
        "he",
        "she",
        "him",
        "her",
        "same",
        "such",
    ]
)
_LOWERCASE_PRONOUNS = frozenset(["er", "sie", "ihn", "ihm", "ihnen"])
"""German personal pronouns, only lower case ("Sie" is the polite "you")."""
_DEMONSTRATIVES = frozenset(["der", "die", "das", "dem", "den", "denen", "deren"])
_ADJECTIVE_ENDINGS = ("e", "en", "er", "es", "em")
_BE = frozenset(["is", "are", "was", "were", "be", "been", "'s", "isn't", "aren't"])
_EXPLETIVE_IT = frozenset(["possible", "true", "necessary", "allowed", "ok", "okay", "enough", "worth"])
_NO_SUBJECT = frozenset(
    [
        "viele",
        "wieviele",
        "hoch",
        "lange",
        "genau",
        "eigentlich",
        "mal",
        "gelten",
        "funktioniert",
        "passiert",
        "sieht",
        "steht",
        "much",
        "many",
        "long",
        "about",
        "exactly",
        "actually",
        "apply",
        "applies",
        "work",
        "works",
        "happen",
        "happens",
        "else",
        "thanks",
        "danke",
        "ok",
        "okay",
        "up",
        "until",
        "above",
        "ab",
        "innerhalb",
        "pro",
        "per",
        "vielen",
        "get",
        "gets",
        "should",
        "may",
        "might",
        "could",
        "would",
    ]
)
"""Content words to ``retrieval.lexical`` that still name no subject of their own."""


def split_words(text: str) -> list[str]:
    return _WORD.findall(text)


_FOLDING = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _is_stop(word: str) -> bool:
    return word.lower().translate(_FOLDING) in STOPWORDS


def _anaphora(words: Sequence[str]) -> list[str]:
    """The words of a question that point back into the conversation."""
    found = []
    for i, word in enumerate(words):
        lower = word.lower()
        before = words[i - 1].lower() if i > 0 else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if lower in _DEMONSTRATIVES:
            # An article is followed by its noun (capitalised in German) or an adjective; a
            # pronoun by nothing, a stop word ("das auch", "die für") or a verb ("die ausgezahlt").
            before_verb = after[:1].islower() and not after.endswith(_ADJECTIVE_ENDINGS)
            if not after or _is_stop(after) or before_verb:
                found.append(word)
        elif word in _LOWERCASE_PRONOUNS:
            found.append(word)
        elif lower == "there" and (before in _BE or after.lower() in _BE):
            continue  # "Is there …", "there are …"
        elif word.isupper() and len(word) > 1:
            continue  # an acronym ("the IT helpdesk"), not the pronoun "it"
        elif lower == "it" and after.lower() in _EXPLETIVE_IT:
            continue  # "Is it possible to …"
        elif lower == "that" and before and not _is_stop(before):
            continue  # a relative pronoun or conjunction: "a form that …", "true that …"
        elif lower in _ANAPHORA:
            found.append(word)
    return found


def subject_words(text: str) -> list[str]:
    """The words of ``text`` that name what it is about: content words, less anaphora and the
    few that name nothing, as written and without repeats."""
    pointing = {w.lower() for w in _anaphora(split_words(text))}
    seen: set[str] = set()
    out = []
    for word in content_words(text):
        lower = word.lower()
        if lower in pointing or lower in _ANAPHORA or lower in _NO_SUBJECT or lower in seen:
            continue
        seen.add(lower)
        out.append(word)
    return out


def needs_history(question: str) -> bool:
    """Whether ``question`` only makes sense with the conversation before it."""
    words = split_words(question)
    if not words:
        return False
    lower = [w.lower() for w in words]
    if any(tuple(lower[: len(opener)]) == opener for opener in _OPENERS):
        return True
    if lower[0] in _PREPOSITIONS and len(words) <= MAX_ELLIPSIS_WORDS:
        return True
    if _anaphora(words):
        return True
    subject = subject_words(question)
    if len(subject) == 1 and len(subject[0]) >= COMPOUND_CHARS and len(words) >= 3:
        return False  # "Wer ist unser Datenschutzbeauftragter?"
    return len(subject) < MIN_SUBJECT_WORDS


QUESTION_OPENERS = frozenset(
    [
        "wie",
        "was",
        "wann",
        "wo",
        "wer",
        "wen",
        "wem",
        "welche",
        "welcher",
        "welches",
        "welchen",
        "warum",
        "weshalb",
        "wieso",
        "wozu",
        "woher",
        "wohin",
        "womit",
        "wofür",
        "wieviel",
        "gibt",
        "gilt",
        "darf",
        "dürfen",
        "muss",
        "müssen",
        "kann",
        "können",
        "ist",
        "sind",
        "habe",
        "hat",
        "haben",
        "bekomme",
        "bekommt",
        "erhalte",
        "erhält",
        "soll",
        "sollte",
        "werden",
        "wird",
        "how",
        "what",
        "when",
        "where",
        "who",
        "whom",
        "whose",
        "which",
        "why",
        "is",
        "are",
        "do",
        "does",
        "did",
        "can",
        "could",
        "may",
        "must",
        "should",
        "will",
        "would",
        "have",
        "has",
        "am",
    ]
)
