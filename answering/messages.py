"""Fixed texts the assistant says, in German and English."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from answering.citations import Citation

# Inside link text on one line only these can start markup; "&" only where it begins an entity.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()<>~|]|&(?=#?\w+;))")
_URL_UNSAFE = {" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E", "[": "%5B", "]": "%5D", '"': "%22"}

_TEXTS: dict[str, dict[str, str]] = {
    "stream_continued": {
        "en": "(The full answer follows in the next message.)",
        "de": "(Die vollständige Antwort folgt in der nächsten Nachricht.)",
    },
    "no_match": {
        "en": "I found nothing in the documents you may read that answers this question.",
        "de": "In den Dokumenten, die Sie lesen dürfen, habe ich nichts gefunden, das diese Frage beantwortet.",
    },
    "llm_down": {
        "en": "Sorry, the language model is not available right now. Please try again in a few minutes.",
        "de": "Entschuldigung, das Sprachmodell ist gerade nicht erreichbar. Bitte versuchen Sie es in ein paar Minuten erneut.",
    },
    "directory_down": {
        "en": "Sorry, I cannot check your permissions right now (the directory is not reachable), so I used no documents. Please try again later.",
        "de": "Entschuldigung, ich kann Ihre Berechtigungen gerade nicht prüfen (das Verzeichnis ist nicht erreichbar) und habe deshalb keine Dokumente verwendet. Bitte versuchen Sie es später erneut.",
    },
    "permission_check_down": {
        "en": "Sorry, I cannot confirm right now that you may still read the matching documents (SharePoint is not reachable), so I used none. Please try again later.",
        "de": "Entschuldigung, ich kann gerade nicht bestätigen, dass Sie die passenden Dokumente noch lesen dürfen (SharePoint ist nicht erreichbar), und habe deshalb keine verwendet. Bitte versuchen Sie es später erneut.",
    },
    "room_unknown": {
        "en": "I could not find out who can read this chat, so I used no documents here.",
        "de": "Ich konnte nicht feststellen, wer diesen Chat lesen kann, und habe hier deshalb keine Dokumente verwendet.",
    },
    "room_narrower": {
        "en": "Some matching documents are not open to everyone in this chat.",
        "de": "Einige passende Dokumente sind nicht für alle in diesem Chat freigegeben.",
    },
    "followup_sent": {
        "en": "I have sent you the full answer privately.",
        "de": "Die vollständige Antwort habe ich Ihnen privat geschickt.",
    },
    "followup_failed": {
        "en": "I could not send you the full answer privately; please ask me in a 1:1 chat.",
        "de": "Ich konnte Ihnen die vollständige Antwort nicht privat schicken; bitte fragen Sie mich im 1:1-Chat.",
    },
    "private_intro": {
        "en": "Your question in a shared chat (“{question}”), answered from all documents you may read:",
        "de": "Ihre Frage aus einem gemeinsamen Chat („{question}“), beantwortet aus allen Dokumenten, die Sie lesen dürfen:",
    },
    "unknown_user": {
        "en": "Sorry, I could not find your account in the directory, so I cannot use any documents for you.",
        "de": "Entschuldigung, ich konnte Ihr Konto im Verzeichnis nicht finden und kann deshalb keine Dokumente für Sie verwenden.",
    },
    "no_index": {
        "en": "The document index is not ready yet. Please try again after the first sync.",
        "de": "Der Dokumentenindex ist noch nicht bereit. Bitte versuchen Sie es nach der ersten Synchronisierung erneut.",
    },
    "too_long": {
        "en": "Your question is too long ({length} characters; at most {limit}). Please shorten it.",
        "de": "Ihre Frage ist zu lang ({length} Zeichen; höchstens {limit}). Bitte kürzen Sie sie.",
    },
    "empty": {
        "en": "Please ask a question, for example: “How many vacation days do I have?”",
        "de": "Bitte stellen Sie eine Frage, zum Beispiel: „Wie viele Urlaubstage habe ich?“",
    },
    "error": {
        "en": "Sorry, something went wrong while preparing the answer (reference {ref}).",
        "de": "Entschuldigung, beim Erstellen der Antwort ist ein Fehler aufgetreten (Referenz {ref}).",
    },
    "timeout": {
        "en": "Sorry, preparing the answer took too long. Please try again.",
        "de": "Entschuldigung, die Antwort hat zu lange gedauert. Bitte versuchen Sie es erneut.",
    },
    "llm_down_extract": {
        "en": "The language model is not available right now, so this is not a generated answer but the passage of your documents that fits your question best:\n\n{extract}",
        "de": "Das Sprachmodell ist gerade nicht erreichbar. Statt einer formulierten Antwort hier die Stelle Ihrer Dokumente, die am besten zu Ihrer Frage passt:\n\n{extract}",
    },
    "sources": {"en": "Sources", "de": "Quellen"},
    "help": {
        "en": (
            "I answer questions from the SharePoint documents you may read and cite every document I used,"
            " so you can check the source. In a group chat or channel I use only documents that every member"
            " of the conversation may read.\n\n"
            "I read Word, Excel, PowerPoint, PDF, text and Markdown files from the document libraries and the"
            " site pages that were indexed, never documents you cannot open.\n\n"
            "Ask in your own words, for example:\n{examples}\n\n"
            "Commands:\n"
            "- **help**: this overview\n"
            "- **reset**: start over and forget the earlier questions in this chat\n"
            "- **sources**: the documents behind my last answer"
        ),
        "de": (
            "Ich beantworte Fragen aus den SharePoint-Dokumenten, die Sie lesen dürfen, und nenne jedes"
            " verwendete Dokument als Quelle, damit Sie nachprüfen können. In einem Gruppenchat oder Kanal"
            " verwende ich nur Dokumente, die alle Mitglieder der Unterhaltung lesen dürfen.\n\n"
            "Ich lese Word-, Excel-, PowerPoint-, PDF-, Text- und Markdown-Dateien aus den indizierten"
            " Dokumentbibliotheken und Websiteseiten, nie Dokumente, die Sie nicht öffnen dürfen.\n\n"
            "Fragen Sie in eigenen Worten, zum Beispiel:\n{examples}\n\n"
            "Befehle:\n"
            "- **hilfe**: diese Übersicht\n"
            "- **neu**: von vorn beginnen und die bisherigen Fragen in diesem Chat vergessen\n"
            "- **quellen**: die Dokumente hinter meiner letzten Antwort"
        ),
    },
    "reset_done": {
        "en": "I have reset this conversation. Earlier questions no longer count; ask me something new.",
        "de": "Ich habe diese Unterhaltung zurückgesetzt. Frühere Fragen zählen nicht mehr; fragen Sie mich etwas Neues.",
    },
    "sources_none": {
        "en": "There is no earlier answer in this conversation whose sources I could show.",
        "de": "In dieser Unterhaltung gibt es noch keine Antwort, deren Quellen ich zeigen könnte.",
    },
    "sources_intro": {
        "en": "Sources of my last answer:",
        "de": "Quellen meiner letzten Antwort:",
    },
    "welcome": {
        "en": "Hello! I answer questions from the SharePoint documents you may read, with sources. Type **help** to see what I can do.",
        "de": "Hallo! Ich beantworte Fragen aus den SharePoint-Dokumenten, die Sie lesen dürfen, mit Quellen. Schreiben Sie **hilfe**, um zu sehen, was ich kann.",
    },
    "informative": {
        "en": "Searching the documents you may read …",
        "de": "Ich durchsuche die Dokumente, die Sie lesen dürfen …",
    },
}

DEFAULT_EXAMPLES: dict[str, tuple[str, ...]] = {
    "en": (
        "How many vacation days do I have?",
        "What is the maximum hotel rate on business trips?",
        "Where do I report a phishing email?",
    ),
    "de": (
        "Wie viele Urlaubstage habe ich?",
        "Wie hoch darf die Hotelrechnung auf Dienstreisen sein?",
        "Wo melde ich eine Phishing-Mail?",
    ),
}
"""Example questions for the help text per language; a deployment passes its own to ``help_text``."""


def text(key: str, language: str, **values: object) -> str:
    """The message ``key`` in ``language`` (``de`` or ``en``), with ``values`` filled in."""
    variants = _TEXTS[key]
    return variants.get(language, variants["en"]).format(**values)


def help_text(language: str, examples: Mapping[str, Sequence[str]] | None = None) -> str:
    """The help message in ``language`` with up to three example questions (``DEFAULT_EXAMPLES``)."""
    chosen = examples if examples is not None else DEFAULT_EXAMPLES
    questions = chosen.get(language) or chosen.get("en") or DEFAULT_EXAMPLES.get(language, DEFAULT_EXAMPLES["en"])
    lines = "\n".join(f"- {' '.join(q.split())}" for q in list(questions)[:3])
    return text("help", language, examples=lines)


def sources_text(citations: Sequence[Citation], language: str) -> str:
    """The sources of an answer as Markdown: the intro line, then ``- [n] [title](url)`` per document.

    Titles come from SharePoint and are escaped, so a title cannot add links, emphasis or HTML;
    a link that is not http(s) is left out and the title shown as text.
    """
    if not citations:
        return text("sources_none", language)
    lines = [text("sources_intro", language)]
    for c in sorted(citations, key=lambda c: c.number):
        title = markdown_escape(c.title) or markdown_escape(c.file_name) or "?"
        url = _link_target(c.url)
        lines.append(f"- [{c.number}] [{title}]({url})" if url else f"- [{c.number}] {title}")
    return "\n".join(lines)


def markdown_escape(value: str) -> str:
    """``value`` on one line, with the characters that could start Markdown or HTML escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(value.split()))


def _link_target(url: str) -> str:
    """``url`` safe inside ``(...)`` of a Markdown link, or ``""`` when it is not http(s)."""
    url = url.strip()
    if not re.match(r"https?://", url, re.IGNORECASE) or any(ch in url for ch in "\r\n\t"):
        return ""
    return "".join(_URL_UNSAFE.get(ch, ch) for ch in url)
