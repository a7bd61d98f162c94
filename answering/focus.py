"""The thing a question asks for: the words right after its question word.

"Welche **Kaufpreisspanne** ist für die Übernahme … vorgesehen?", "What is the **code word** for
incident …?", "Wie lautet das **Codewort** …?", "Which **subject prefix** do I use …?". The rest
of the question says what it is about; every sentence of the right document shares those words
("Hansen Analytics GmbH", "incident"), but only the sentence that answers names the asked thing.
So the extract prefers sentences that contain these words (``answering.extractive``).

Only the opening of a question is read, and only the forms below; a question in another form has
no focus words and is ranked as before.
"""

from __future__ import annotations

import re

from answering.facts import EMAIL, INLINE_CODE
from answering.language import clear_language
from retrieval.lexical import content_words

MAX_FOCUS_WORDS = 3

_ARTICLE_EN = r"(?:(?:the|a|an|my|our|your|this)\s+)?"
_ARTICLE_DE = r"(?:(?:der|die|das|den|dem|des|ein|eine|einen|mein|meine|meinen|unser|unsere)\s+)?"
_OPENERS_EN = re.compile(
    r"^\W*(?:(?:to|for|in|at|on|from|with|by)\s+)?(?:"
    r"(?:what|which)\s+(?:(?:is|are|was|were)\s+)?" + _ARTICLE_EN + r"|"
    r"how\s+(?:much|many|long|high|large|big)\s+(?:(?:is|are|was|were)\s+" + _ARTICLE_EN + r")?"
    r")(?P<rest>.*)$",
    re.IGNORECASE,
)
_OPENERS_DE = re.compile(
    r"^\W*(?:(?:an|für|in|bei|mit|von|auf|über|unter|zu)\s+)?(?:"
    r"welche[rsmn]?\s+|was\s+für\s+(?:ein(?:e[nmr]?)?\s+)?|"
    r"(?:wie|was)\s+(?:lautet|lauten|heißt|heisst|ist|sind|kostet|kosten|"
    r"hoch\s+ist|hoch\s+sind|groß\s+ist|gross\s+ist|lange?\s+ist|viele?)\s+" + _ARTICLE_DE + r""
    r")(?P<rest>.*)$",
    re.IGNORECASE,
)
_PAYS_EN = r"(?:contribute|pay|reimburse|refund|cover|spend|give|grant|offer|subsidi[sz]e|add)s?"
_PAYS_DE = r"(?:zahl|erstatt|übernimm|übernehm|zuschieß|gib|gewähr|steuer)\w*(?:\s+\w+)??"
_OBJECT_EN = re.compile(
    r"^\W*how\s+(?:much|many)\s+(?:do|does|did|will|would|can)\s+(?:\w+\s+){1,3}?"
    + _PAYS_EN
    + r"\s+(?:to|for|towards|on)\s+"
    + _ARTICLE_EN
    + r"(?P<rest>.*)$",
    re.IGNORECASE,
)
_OBJECT_DE = re.compile(
    r"^\W*wie\s*viel\s+" + _PAYS_DE + r"\s+(?:\w+\s+){0,3}?(?:für|zu|zum|zur)\s+" + _ARTICLE_DE + r"(?P<rest>.*)$",
    re.IGNORECASE,
)
"""The second form: what is paid for ("How much does the company contribute to **dental
insurance**?", "Wie viel zahlt die Firma für das **Jobticket**?"). The amount is asked; the thing
it is for is what a passage must name."""
_TOKEN = re.compile(r"[\w][\w./-]*")
_AUXILIARIES = frozenset(
    ["do", "does", "did", "is", "are", "was", "were", "can", "may", "must", "should", "will", "would", "have", "has"]
)


CODE_NOUNS = frozenset(
    ["command", "commands", "befehl", "befehle", "befehls", "kommando", "kommandos", "kommandozeile"]
)
"""Words for literal text to type ("Which command rolls back …", "Mit welchem Befehl …")."""
ADDRESS_NOUNS = frozenset(["adresse", "address", "mailadresse", "email", "mail"])
"""Words for an e-mail address ("An welche Adresse leite ich … weiter?", "E-Mail-Adresse" in parts)."""
_NAMED_BY = {**dict.fromkeys(CODE_NOUNS, INLINE_CODE), **dict.fromkeys(ADDRESS_NOUNS, EMAIL)}
"""Asked-for things that a text names by giving one, whatever it calls it: a sentence with a code
span (the backticked "argocd app rollback <service>") names a command, one with an e-mail address
names the address ("Report phishing to phishing@contoso.dev")."""


def names_kind(word: str, text: str) -> bool:
    """``word`` asks for a command or an address and ``text`` gives one."""
    pattern = _NAMED_BY.get(word.lower())
    return pattern is not None and pattern.search(text) is not None


def asks_for_code(question: str) -> bool:
    """The question asks for a command ("Which command …", "Mit welchem Befehl …")."""
    language = clear_language(question)  # a short question may not tell: either form will do
    words = (
        focus_words(question, language) if language else [*focus_words(question, "de"), *focus_words(question, "en")]
    )
    return any(w.lower() in CODE_NOUNS for w in words)


def focus_words(question: str, language: str | None) -> list[str]:
    """The words naming what ``question`` asks for (at most ``MAX_FOCUS_WORDS``), as written; empty
    when the question does not open with one of the forms above. German: the capitalised words
    (nouns) right after the question word; English: the content words up to the first stop word."""
    if language == "de":
        match = _OBJECT_DE.match(question) or _OPENERS_DE.match(question)
        if match is None:
            return []
        words = []
        for token in _TOKEN.findall(match.group("rest")):
            if not token[:1].isupper():
                break
            words.append(token)
        return _content(words)
    if language == "en":
        match = _OBJECT_EN.match(question) or _OPENERS_EN.match(question)
        if match is None:
            return []
        words = []
        for token in _TOKEN.findall(match.group("rest")):
            if token.lower() in _AUXILIARIES or not content_words(token):
                break
            words.append(token)
        return _content(words)
    return []


_UNITS = frozenset(
    [
        "tag",
        "tage",
        "tagen",
        "woche",
        "wochen",
        "monat",
        "monate",
        "monaten",
        "jahr",
        "jahre",
        "jahren",
        "stunde",
        "stunden",
        "minuten",
        "prozent",
        "euro",
        "eur",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "hour",
        "hours",
        "minutes",
        "percent",
    ]
)
"""What a quantity is counted in ("Wie viele Tage darf ich …", "How many weeks …"): alone, named by
every sentence that gives another quantity, so not what the question asks for; with another word
("Tage Sonderurlaub", "opening hours") part of it."""


def _content(words: list[str]) -> list[str]:
    found = content_words(" ".join(words))[:MAX_FOCUS_WORDS]
    return [] if all(w.lower() in _UNITS for w in found) else found
