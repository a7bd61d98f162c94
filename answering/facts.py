"""The checkable facts of a text: numbers, amounts, dates, times, codes (and code spans), e-mail
addresses, names.

Each fact is reduced to a canonical form so that the same fact written differently meets itself:
``4,50`` and ``4.50`` are ``n:4.5``; ``31. März``, ``31.03.`` and ``March 31`` are ``d:31.3``;
``drei`` and ``three`` are ``n:3``; ``9:00 Uhr`` and ``9.00`` are ``t:9:00``. The grounding check
(``answering.grounding``) asks whether every fact of an answer is among the facts of its sources;
the sentence selector (``answering.extractive``) prefers sentences with facts of the asked-for kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MONTHS = {
    **dict.fromkeys(["januar", "jänner", "january", "jan"], 1),
    **dict.fromkeys(["februar", "february", "feb"], 2),
    **dict.fromkeys(["märz", "maerz", "march", "mär", "mar"], 3),
    **dict.fromkeys(["april", "apr"], 4),
    **dict.fromkeys(["mai", "may"], 5),
    **dict.fromkeys(["juni", "june", "jun"], 6),
    **dict.fromkeys(["juli", "july", "jul"], 7),
    **dict.fromkeys(["august", "aug"], 8),
    **dict.fromkeys(["september", "sept", "sep"], 9),
    **dict.fromkeys(["oktober", "october", "okt", "oct"], 10),
    **dict.fromkeys(["november", "nov"], 11),
    **dict.fromkeys(["dezember", "december", "dez", "dec"], 12),
}
_LONG_MONTHS = sorted((m for m in MONTHS if len(m) > 3), key=len, reverse=True)
_MONTH_RE = "|".join(_LONG_MONTHS)

NUMBER_WORDS = {
    **dict.fromkeys(["zwei", "two", "zweier"], 2),
    **dict.fromkeys(["drei", "three"], 3),
    **dict.fromkeys(["vier", "four"], 4),
    **dict.fromkeys(["fünf", "fuenf", "five"], 5),
    **dict.fromkeys(["sechs", "six"], 6),
    **dict.fromkeys(["sieben", "seven"], 7),
    **dict.fromkeys(["acht", "eight"], 8),
    **dict.fromkeys(["neun", "nine"], 9),
    **dict.fromkeys(["zehn", "ten"], 10),
    **dict.fromkeys(["elf", "eleven"], 11),
    **dict.fromkeys(["zwölf", "zwoelf", "twelve"], 12),
    **dict.fromkeys(["zwanzig", "twenty"], 20),
    **dict.fromkeys(["dreißig", "dreissig", "thirty"], 30),
    **dict.fromkeys(["hundert", "hundred"], 100),
    **dict.fromkeys(["tausend", "thousand"], 1000),
    **dict.fromkeys(["doppelt", "twice", "double"], 2),
}
"""Number words that are facts ("ein"/"one" are not: they are mostly articles)."""

_MARKER = re.compile(r"\[\d{1,3}\]")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://\S+")
INLINE_CODE = re.compile(r"`([^`\n]{1,120})`")
"""A Markdown code span (``argocd app rollback <service>``): literal text to type or look for, so
a fact as a whole. Its words and numbers are facts of their own as well."""
_CODE = re.compile(r"(?<![\w-])(?=[\w/-]*\d)(?=[\w/-]*[A-Za-z])[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)+(?![\w-])")
"""Hyphen- or slash-joined tokens with letters and digits: ``AURORA-FALKE-2291``, ``S/4HANA``, ``INC-2025-017``."""
_ACRONYM = re.compile(r"(?<![\w-])[A-ZÄÖÜ][A-ZÄÖÜ0-9]{1,}(?![\w-])")
_TIME = re.compile(
    r"(?<![\d.,:])([01]?\d|2[0-3]):([0-5]\d)(?![\d.,:]*\d)(?:\s*(?:Uhr|h)\b)?"
    r"|(?<![\d.,:])([01]?\d|2[0-3])\.([0-5]\d)\s*Uhr\b"
)
_NUMERIC_DATE = re.compile(r"(?<![\d.])(\d{1,2})\.\s?(\d{1,2})\.(?:\s?(\d{4}|\d{2})\b)?")
_DAY_MONTH = re.compile(rf"(?<!\d)(\d{{1,2}})(?:\.|st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b", re.IGNORECASE)
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*[.:,]?\d)", re.IGNORECASE)
_MONTH = re.compile(rf"\b({_MONTH_RE})\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,\u202f\u00a0]\d{3})+(?:[.,]\d+)?(?![\d])|(?<![\w.,])\d+(?:[.,]\d+)?")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_TITLE_BEFORE_NAME = re.compile(r"\b(?:Dr|Prof|Herr|Frau|Mr|Mrs|Ms)\.?\s+([A-ZÄÖÜ][\w-]+)")
_CAPITALISED_RUN = re.compile(r"(?<![\w-])([A-ZÄÖÜ][a-zäöüß]+(?:[-\s]+[A-ZÄÖÜ][\w]+)+)")
_CAMEL = re.compile(r"(?<![\w-])([A-Za-z]+[a-z][A-Z][A-Za-z]*)(?![\w-])")
_CAPITALISED = re.compile(r"(?<![\w-])[A-ZÄÖÜ][a-zäöüß]+")

_ABBREVIATIONS = frozenset(["eur", "usd", "chf", "gbp", "ok", "faq", "pdf", "id"])
_NOT_NAMES = frozenset(
    [
        "i",
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "if",
        "in",
        "on",
        "at",
        "for",
        "of",
        "to",
        "by",
        "with",
        "from",
        "and",
        "or",
        "but",
        "as",
        "is",
        "are",
        "be",
        "our",
        "your",
        "my",
        "we",
        "you",
        "they",
        "he",
        "she",
        "there",
        "here",
        "when",
        "where",
        "what",
        "which",
        "who",
        "how",
        "yes",
        "no",
        "please",
        "note",
        "see",
        "also",
        "however",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "contoso",
        "dev",
        "gmbh",
        "der",
        "die",
        "das",
        "den",
        "dem",
        "des",
        "ein",
        "eine",
        "einen",
        "einem",
        "einer",
        "sie",
        "er",
        "es",
        "wir",
        "ihr",
        "ihre",
        "ihr",
        "sein",
        "seine",
        "bei",
        "im",
        "am",
        "um",
        "für",
        "mit",
        "von",
        "zu",
        "zum",
        "zur",
        "auf",
        "aus",
        "nach",
        "vor",
        "über",
        "unter",
        "laut",
        "gemäß",
        "wenn",
        "dann",
        "bitte",
        "ja",
        "nein",
    ]
)
"""Capitalised words that start clauses or are everywhere (English and German); not names."""


@dataclass(frozen=True)
class Fact:
    """One checkable fact: ``kind`` (number, date, time, month, code, email, name), its canonical
    ``key`` and the ``text`` it was written as (for logs and tests)."""

    kind: str
    key: str
    text: str


def canonical_number(raw: str) -> str | None:
    """``1.000`` → ``1000``, ``1,500`` → ``1500``, ``4,50`` → ``4.5``, ``4.50`` → ``4.5``.

    A separator followed by exactly three digits groups thousands; any other is the decimal point.
    """
    text = raw.replace("\u202f", " ").replace("\u00a0", " ")
    groups = re.split(r"[., ]", text)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        digits = "".join(groups)
    elif len(groups) > 1:
        head, tail = groups[:-1], groups[-1]
        digits = "".join(head) + "." + tail
    else:
        digits = text
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return format(value.normalize(), "f")


def _day_month(day: str, month: int) -> str | None:
    d = int(day)
    return f"{d}.{month}" if 1 <= d <= 31 and 1 <= month <= 12 else None


def extract_facts(text: str) -> list[Fact]:
    """Every checkable fact in ``text``, each once, in order of appearance."""
    facts: list[Fact] = []
    rest = text

    def take(pattern: re.Pattern[str], make: object) -> None:
        nonlocal rest

        def replace(match: re.Match[str]) -> str:
            for fact in make(match):  # type: ignore[operator]
                if fact is not None:
                    facts.append(fact)
            return " \u00a4 "  # a non-word mark, so that words on either side do not join into a run

        rest = pattern.sub(replace, rest)

    rest = _MARKER.sub(" ", rest)
    facts.extend(
        Fact("code", m.group(1).strip().lower(), m.group(0)) for m in INLINE_CODE.finditer(rest) if m.group(1).strip()
    )

    take(_URL, lambda m: [Fact("code", m.group(0).rstrip(".,;)").lower(), m.group(0))])
    take(EMAIL, lambda m: [Fact("email", m.group(0).lower().rstrip("."), m.group(0))])
    take(_CODE, lambda m: [Fact("code", m.group(0).lower(), m.group(0))])
    take(_TIME, lambda m: [Fact("time", f"{int(m.group(1) or m.group(3))}:{m.group(2) or m.group(4)}", m.group(0))])
    take(
        _NUMERIC_DATE,
        lambda m: [
            _fact_or_none("date", _day_month(m.group(1), int(m.group(2))), m.group(0)),
            Fact("number", str(int(m.group(3))), m.group(3)) if m.group(3) and len(m.group(3)) == 4 else None,
        ],
    )
    take(_DAY_MONTH, lambda m: [_fact_or_none("date", _day_month(m.group(1), MONTHS[m.group(2).lower()]), m.group(0))])
    take(_MONTH_DAY, lambda m: [_fact_or_none("date", _day_month(m.group(2), MONTHS[m.group(1).lower()]), m.group(0))])
    take(_MONTH, lambda m: [Fact("month", str(MONTHS[m.group(1).lower()]), m.group(0))])
    take(_NUMBER, lambda m: [_fact_or_none("number", canonical_number(m.group(0)), m.group(0))])
    for word in _WORD.findall(rest):
        value = NUMBER_WORDS.get(word.lower())
        if value is not None:
            facts.append(Fact("number", str(value), word))
    facts.extend(_names(rest))
    seen: set[tuple[str, str]] = set()
    unique = []
    for fact in facts:
        if (fact.kind, fact.key) not in seen:
            seen.add((fact.kind, fact.key))
            unique.append(fact)
    return unique


def _fact_or_none(kind: str, key: str | None, text: str) -> Fact | None:
    return Fact(kind, key, text) if key is not None else None


def _not_a_name(word: str) -> bool:
    lower = word.lower()
    return lower in _NOT_NAMES or lower in NUMBER_WORDS or lower in MONTHS


def _names(text: str) -> list[Fact]:
    """Proper names, codes in capitals and product names: runs of capitalised words (``Helena
    Brandt``), a capitalised word after a title (``Dr. Brandt``), inner capitals (``PeopleHub``),
    acronyms (``CVSS``). A lone capitalised word is a name only in English text, where nouns are
    not capitalised; German capitalises every noun."""
    found: list[Fact] = []
    for match in _ACRONYM.finditer(text):
        word = match.group(0)
        if word.lower() not in _ABBREVIATIONS:
            found.append(Fact("name", word.lower(), word))
    for pattern in (_TITLE_BEFORE_NAME, _CAMEL):
        for match in pattern.finditer(text):
            found.append(Fact("name", match.group(1).lower(), match.group(1)))
    for match in _CAPITALISED_RUN.finditer(text):
        words = [w for w in re.split(r"[-\s]+", match.group(1)) if not _not_a_name(w)]
        if len(words) >= 2:
            found.extend(Fact("name", w.lower(), w) for w in words)
    if _looks_english(text):
        for sentence in re.split(r"(?<=[.!?:])\s+|\n+", text):
            for i, match in enumerate(_CAPITALISED.finditer(sentence)):
                word = match.group(0)
                if i == 0 and match.start() == len(sentence) - len(sentence.lstrip()):
                    continue  # sentence start
                if not _not_a_name(word):
                    found.append(Fact("name", word.lower(), word))
    return found


_EN_MARKERS = frozenset(
    [
        "the",
        "is",
        "are",
        "and",
        "of",
        "to",
        "for",
        "with",
        "you",
        "your",
        "be",
        "can",
        "must",
        "will",
        "has",
        "have",
        "per",
    ]
)
_DE_MARKERS = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "sind",
        "für",
        "mit",
        "nicht",
        "ein",
        "eine",
        "den",
        "dem",
        "des",
        "wird",
        "werden",
        "pro",
        "bei",
    ]
)


def _looks_english(text: str) -> bool:
    words = [w.lower() for w in _WORD.findall(text)]
    en = sum(w in _EN_MARKERS for w in words)
    de = sum(w in _DE_MARKERS for w in words)
    return en > de


def words_of(text: str) -> list[str]:
    """The words of ``text`` in lower case (letters only)."""
    return [w.lower() for w in _WORD.findall(text)]
