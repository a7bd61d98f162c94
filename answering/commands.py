"""The chat commands (``hilfe``/``help``, ``neu``/``reset``, ``quellen``/``sources``).

A message is a command only when, after dropping punctuation and a leading ``/``, it is exactly
a command phrase plus at most ``MAX_FILLERS`` polite filler words (``bitte``, ``please``,
``thanks`` …) before or after it. Anything else is a question, so "Hilfe bei der
Reisekostenabrechnung?" and "reset password" go to the answer pipeline. Commands never reach the
language model; the language of a command is the language of its command phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class CommandName(StrEnum):
    """What the user asked the bot to do instead of answering a question."""

    HELP = "help"
    RESET = "reset"
    SOURCES = "sources"


@dataclass(frozen=True)
class Command:
    """A recognised command and the reply language its wording implies (``de`` or ``en``)."""

    name: CommandName
    language: str


_PHRASES: dict[tuple[str, ...], Command] = {
    ("hilfe",): Command(CommandName.HELP, "de"),
    ("help",): Command(CommandName.HELP, "en"),
    ("neu",): Command(CommandName.RESET, "de"),
    ("neu", "beginnen"): Command(CommandName.RESET, "de"),  # the German manifest title
    ("neu", "starten"): Command(CommandName.RESET, "de"),
    ("neue", "unterhaltung"): Command(CommandName.RESET, "de"),
    ("zurücksetzen",): Command(CommandName.RESET, "de"),
    ("reset",): Command(CommandName.RESET, "en"),
    ("start", "over"): Command(CommandName.RESET, "en"),
    ("new", "conversation"): Command(CommandName.RESET, "en"),
    ("quellen",): Command(CommandName.SOURCES, "de"),
    ("sources",): Command(CommandName.SOURCES, "en"),
}
FILLERS = frozenset(["bitte", "danke", "mal", "jetzt", "please", "pls", "thanks", "me", "now"])
"""Words that may surround a command phrase without turning it into a question."""
MAX_FILLERS = 2
_MAX_LENGTH = 60
_LONGEST_PHRASE = max(len(p) for p in _PHRASES)
_WORD = re.compile(r"[^\W_]+")


def parse_command(text: str) -> Command | None:
    """The command ``text`` is, or ``None`` when it is a question (or empty)."""
    if len(text) > _MAX_LENGTH:
        return None
    words = _WORD.findall(text.casefold())
    if not words or len(words) > _LONGEST_PHRASE + MAX_FILLERS:
        return None
    for start in range(len(words)):
        for phrase, command in _PHRASES.items():
            if tuple(words[start : start + len(phrase)]) != phrase:
                continue
            rest = words[:start] + words[start + len(phrase) :]
            if len(rest) <= MAX_FILLERS and all(w in FILLERS for w in rest):
                return command
    return None
