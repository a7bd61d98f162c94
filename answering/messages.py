"""Fixed texts the assistant says, in German and English."""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "informative": {
        "en": "Searching the documents you may read …",
        "de": "Ich durchsuche die Dokumente, die Sie lesen dürfen …",
    },
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
    "extract": {
        "en": "The most relevant passage I found: “{snippet}”",
        "de": "Die passendste Stelle, die ich gefunden habe: „{snippet}“",
    },
    "sources": {"en": "Sources", "de": "Quellen"},
}


def text(key: str, language: str, **values: object) -> str:
    """The message ``key`` in ``language`` (``de`` or ``en``), with ``values`` filled in."""
    variants = _TEXTS[key]
    return variants.get(language, variants["en"]).format(**values)
