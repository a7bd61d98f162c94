"""The grounding check: is every fact of an answer in the sources it cites?

Cheap and deterministic, run on every answer before anyone sees it:

* every number, amount, date, time, code, e-mail address and proper name of a sentence
  (``answering.facts``) must occur in a source the sentence cites (or, without a citation, in one
  of the sources shown), or in the question itself;
* an answer with no content word beyond the citation marker ("Die Antwort: [1]") is empty;
* a question that asks for a quantity or a date ("wie viele", "how long", "bis wann") needs an
  answer with a number or date in it, a question that asks "who" one with a name;
* a model that says it found nothing is taken at its word (a refusal).

Paraphrases pass: wording is free, only facts are checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from answering.facts import Fact, extract_facts, words_of
from answering.prompts import SourceDocument
from retrieval.lexical import content_words

MARKER = re.compile(r"\[(\d{1,3})\]")


class Check(StrEnum):
    """The verdict on a model's answer; logged, counted (``assistant_answer_checks``) and audited."""

    PASSED = "passed"
    UNGROUNDED = "ungrounded"
    """A fact that no cited source contains (an invented number, date, name)."""
    EMPTY = "empty"
    """Nothing beyond a label and a citation marker."""
    MISSING_KIND = "missing_kind"
    """Asked for a number, date or person; the answer names none."""
    REFUSAL = "refusal"
    """The model said the sources do not answer it."""
    TRUNCATED = "truncated"
    """A later sentence was ungrounded: the answer ends before it (the earlier ones passed)."""
    LLM_DOWN = "llm_down"
    """No model answer at all: the model is unavailable."""
    EXTRACTED = "extracted"
    """The model was not asked: a sentence of the passages answers it (``ANSWER_STRATEGY=extract_first``)."""
    NO_EXTRACT = "no_extract"
    """``extract_first``: asked for a number, date or person, and no sentence of the passages gives
    one; the model is not asked for it either ("nothing found")."""
    ECHO = "echo"
    """The model copied a passage as the prompt shows it (its "Title › Section:" line and text)
    instead of answering: grounded, but not an answer."""
    UNSUPPORTED = "unsupported"
    """The model was not asked: the permitted passages hold too few of the question's terms."""


class Asked(StrEnum):
    """What kind of thing a question asks for."""

    QUANTITY = "quantity"
    """A number, amount, duration, date or time."""
    PERSON = "person"
    OTHER = "other"


_QUANTITY = re.compile(
    r"\b(wie\s+(viele?|hoch|lange?|groß|gross|schnell|oft|alt|teuer)|um\s+wie\s+viel|wieviele?|"
    r"bis\s+wann|ab\s+wann|seit\s+wann|wann|bis\s+zu\s+welche[mnr]?|ab\s+welche[mnr]?|welche[mnr]?\s+"
    r"(betrag|summe|frist|wert|höhe|dauer|uhrzeit|zeit|datum|tag|spanne|kaufpreisspanne|gehaltsspanne|"
    r"differenz|budget)|innerhalb\s+welcher|was\s+kostet|"
    r"how\s+(many|much|long|large|big|often|old|soon)|until\s+when|by\s+when|when|what\s+time|"
    r"until\s+what|up\s+to\s+(which|what)|above\s+(which|what)|which\s+amount|what\s+(value|amount|"
    r"percentage|score|rate|budget|limit|cap|deadline)|minimum|maximum|opening\s+hours|"
    r"öffnungszeiten|by\s+how\s+much|bonus|prämie|zuschuss|subsidy|allowance|pauschale|budget|fee|gebühr|"
    r"price|preis)\b",
    re.IGNORECASE,
)
_PERSON = re.compile(r"^\s*(wer|who|whom)\b|\b(wer\s+ist|who\s+is|an\s+wen|to\s+whom)\b", re.IGNORECASE)
_REFUSAL = re.compile(
    r"(nicht\s+(gefunden|enthalten|beantwortet|beantworten|finden|erwähnt|angegeben|vorhanden)|"
    r"keine\s+(angabe|angaben|information|informationen|antwort|hinweise?)|"
    r"not\s+(found|contain|mention|mentioned|answer|specified|provided|stated)|no\s+information|"
    r"(could|can)\s*not\s+find|can't\s+find|couldn't\s+find|don't\s+(contain|mention|say)|"
    r"do\s+not\s+(contain|mention|say|specify)|does\s+not\s+(contain|mention|say|specify))",
    re.IGNORECASE,
)
FILLER = frozenset(
    [
        "antwort",
        "answer",
        "ansatz",
        "lösung",
        "loesung",
        "quelle",
        "quellen",
        "source",
        "sources",
        "siehe",
        "see",
        "lautet",
        "folgt",
        "folgende",
        "folgendes",
        "following",
        "response",
        "reply",
        "hier",
        "here",
        "dokument",
        "document",
        "text",
    ]
)
"""Words that carry no content in an answer ("Die Antwort: [1]", "Answer: see [1]")."""
_QUANTITY_KINDS = frozenset({"number", "date", "time", "month"})


def asked_kind(question: str) -> Asked:
    """What the question asks for: a quantity (``wie viele``, ``how long``, ``bis wann``), a person
    (``wer``, ``who``), or something else."""
    if _PERSON.search(question):
        return Asked.PERSON
    if _QUANTITY.search(question):
        return Asked.QUANTITY
    return Asked.OTHER


def has_kind(facts: list[Fact], kind: Asked) -> bool:
    """Whether ``facts`` contain the kind of thing asked for."""
    if kind is Asked.QUANTITY:
        return any(f.kind in _QUANTITY_KINDS for f in facts)
    if kind is Asked.PERSON:
        return any(f.kind == "name" for f in facts)
    return True


def is_empty(text: str) -> bool:
    """No content word beyond labels and citation markers."""
    words = [w.lower() for w in content_words(MARKER.sub(" ", text))]
    return not [w for w in words if w not in FILLER and not w.isdigit()] and not extract_facts(MARKER.sub(" ", text))


_ECHO = re.compile(
    r"^\W*(?:frage|question|quellen|sources|beantworte|antworte|answer\s+the\s+question|du\s+bist|you\s+are)\b",
    re.IGNORECASE,
)


_YES_NO = re.compile(r"^\W*(?:ja|nein|yes|no)\b", re.IGNORECASE)


def is_echo(text: str) -> bool:
    """A sentence that repeats the prompt (its labels or its instruction) instead of answering."""
    return bool(_ECHO.search(text))


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text))


@dataclass
class _SourceFacts:
    keys: set[tuple[str, str]]
    text: str
    digits: str
    words: frozenset[str]


def _fold(text: str) -> str:
    return " ".join(words_of(text))


def _index(text: str) -> _SourceFacts:
    facts = extract_facts(text)
    keys = {(f.kind, f.key) for f in facts}
    for f in facts:
        if f.kind == "date":
            keys.add(("month", f.key.split(".")[1]))
    return _SourceFacts(
        keys, text.lower() + "\n" + _fold(text), " ".join(re.findall(r"\d+", text)), frozenset(words_of(text))
    )


@dataclass(frozen=True)
class SentenceVerdict:
    ok: bool
    ungrounded: tuple[Fact, ...] = ()
    facts: tuple[Fact, ...] = ()


@dataclass
class GroundingCheck:
    """Checks sentences of one answer against the numbered sources it was generated from."""

    question: str
    sources: list[SourceDocument]
    _by_number: dict[int, _SourceFacts] = field(init=False)
    _question: _SourceFacts = field(init=False)

    def __post_init__(self) -> None:
        self._by_number = {
            s.number: _index("\n".join([s.doc.title, *(f"{h.chunk.context_line}\n{h.chunk.text}" for h in s.hits)]))
            for s in self.sources
        }
        self._question = _index(self.question)
        self.asked = asked_kind(self.question)

    def _grounded(self, fact: Fact, sources: list[_SourceFacts]) -> bool:
        for source in [*sources, self._question]:
            if (fact.kind, fact.key) in source.keys:
                return True
            if fact.kind in ("code", "email", "name") and fact.key in source.text:
                return True
            if fact.text.startswith("`") and set(words_of(fact.key)) <= source.words:
                return True  # a code span of the source's words (`Expenses > New report`): formatting, not a fact
            if fact.kind == "name" and len(fact.key) > 4 and fact.key[:-1] in source.text:
                return True  # inflection: "Krügers", "Brandts"
            if (
                fact.kind == "number"
                and re.fullmatch(r"\d+", fact.key)
                and re.search(rf"\b{fact.key}\b", source.digits)
            ):
                return True  # a number inside a code or a date of the source
        return False

    def copies_prompt(self, text: str) -> str | None:
        """``"title"`` when ``text`` is a source's title line of the prompt ("[3] Checkliste
        Monatsabschluss"), ``"passage"`` when it opens with a passage's heading line as the prompt
        writes it ("Checkliste Monatsabschluss › AT 1: …: * Kreditoren-Cut-off …": the "›" path is
        the prompt's own format, the model copies the passage), else ``None``."""
        line = " ".join(MARKER.sub(" ", text).split()).casefold()
        if not line:
            return None
        for source in self.sources:
            title = " ".join(source.doc.title.split()).casefold()
            if line.rstrip(":.") == title:
                return "title"
            if line.startswith(title + " ›"):
                return "passage"
        return None

    def only_names_sources(self, text: str) -> bool:
        """Every word of ``text`` is a word of the question or of a source's title ("Projekt
        Nordlicht – Akquisitionsplan 2 [1]"): it names where the answer is, not what it says."""

        def parts(value: str) -> set[str]:
            return {p for w in content_words(value) for p in w.lower().split("-") if p and not p.isdigit()}

        if _YES_NO.match(text):
            return False  # "Ja, auch für 2 Nächte [1]." repeats the question and still answers it
        titles = parts(" ".join(s.doc.title for s in self.sources))
        words = parts(MARKER.sub(" ", text)) - FILLER
        return bool(words & titles) and not words - titles - parts(self.question)

    def sentence(self, text: str) -> SentenceVerdict:
        """Every fact of ``text`` is in a source it cites (all shown sources when it cites none)."""
        cited = [int(n) for n in MARKER.findall(text) if int(n) in self._by_number]
        sources = [self._by_number[n] for n in cited] if cited else list(self._by_number.values())
        facts = tuple(extract_facts(text))
        ungrounded = tuple(f for f in facts if not self._grounded(f, sources))
        return SentenceVerdict(not ungrounded, ungrounded, facts)

    def answer(self, text: str) -> tuple[Check, tuple[Fact, ...]]:
        """The whole answer's verdict (sentence by sentence, then empty, kind and refusal)."""
        facts: list[Fact] = []
        for sentence in split_sentences(text):
            verdict = self.sentence(sentence)
            if not verdict.ok:
                return Check.UNGROUNDED, verdict.ungrounded
            facts.extend(verdict.facts)
        return self.complete(text, facts), ()

    def complete(self, text: str, facts: list[Fact]) -> Check:
        """The verdict on grounded text as a whole: empty, a refusal, the asked-for kind missing, or passed."""
        if is_empty(text) or self.only_names_sources(text):
            return Check.EMPTY
        if is_refusal(text):
            return Check.REFUSAL
        new = [f for f in facts if (f.kind, f.key) not in self._question.keys and f.key not in self._question.text]
        if not has_kind(new, self.asked):
            return Check.MISSING_KIND  # facts the question already named do not answer it
        return Check.PASSED


_ABBREVIATION = re.compile(
    r"(?:\b(?:Dr|Prof|Nr|ca|bzw|inkl|ggf|vgl|max|min|Mio|Mrd|Tsd|St|Str|z\.\s?B|d\.\s?h|u\.\s?a|e\.\s?g|i\.\s?e|"
    r"etc|Abs|Art|Kap|No|vs|Mr|Mrs|Ms)|\d)\.$"
)
_SENTENCE_END = re.compile(r"[.!?](?:\s*\[\d{1,3}\])*(?=\s)|\n")


def sentence_end(text: str, start: int = 0) -> int | None:
    """The end (exclusive) of the first complete sentence in ``text[start:]``, markers included,
    or ``None`` if it is not complete yet. A period after a digit or abbreviation ("31. März",
    "Dr. Brandt") does not end a sentence; neither does one followed by a citation still to come."""
    for match in _SENTENCE_END.finditer(text, start):
        end = match.end()
        if match.group(0) == "\n":
            return end
        if text[match.start()] == "." and _ABBREVIATION.search(text[max(0, match.start() - 6) : match.start() + 1]):
            continue
        rest = text[end:]
        stripped = rest.lstrip()
        if not stripped:
            return None  # the next character decides (a citation, a capital, a digit)
        if stripped.startswith("["):
            marker = re.match(r"\[\d{0,3}", stripped)
            if marker is not None and len(marker.group(0)) == len(stripped):
                return None  # a marker still arriving
        return end
    return None


def split_sentences(text: str) -> list[str]:
    """``text`` as sentences (the last one may be unterminated)."""
    sentences = []
    start = 0
    while (end := sentence_end(text + " x", start)) is not None and end <= len(text):
        if text[start:end].strip():
            sentences.append(text[start:end])
        start = end
    if text[start:].strip():
        sentences.append(text[start:])
    return sentences
