"""answering/commands.py: which messages are commands, and in which language."""

from __future__ import annotations

import pytest

from answering import messages
from answering.commands import Command, CommandName, parse_command

HELP_DE = Command(CommandName.HELP, "de")
HELP_EN = Command(CommandName.HELP, "en")
RESET_DE = Command(CommandName.RESET, "de")
RESET_EN = Command(CommandName.RESET, "en")
SOURCES_DE = Command(CommandName.SOURCES, "de")
SOURCES_EN = Command(CommandName.SOURCES, "en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hilfe", HELP_DE),
        ("Hilfe", HELP_DE),
        ("HILFE!", HELP_DE),
        ("  hilfe?  ", HELP_DE),
        ("help", HELP_EN),
        ("Help please", HELP_EN),
        ("help me", HELP_EN),
        ("/help", HELP_EN),
        ("Hilfe bitte.", HELP_DE),
        ("bitte Hilfe", HELP_DE),
        ("neu", RESET_DE),
        ("Neu beginnen", RESET_DE),  # what the German prompt starter sends
        ("neue Unterhaltung", RESET_DE),
        ("Zurücksetzen!", RESET_DE),
        ("reset bitte", RESET_EN),  # the command word decides the language, not the filler
        ("Reset", RESET_EN),
        ("reset now", RESET_EN),
        ("new conversation, please", RESET_EN),
        ("start over", RESET_EN),
        ("quellen", SOURCES_DE),
        ("Quellen?", SOURCES_DE),
        ("Quellen bitte danke", SOURCES_DE),
        ("sources", SOURCES_EN),
        ("Sources...", SOURCES_EN),
        ("sources, thanks!", SOURCES_EN),
        ("**help**", HELP_EN),
    ],
)
def test_commands_in_both_languages(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hilfe bei der Reisekostenabrechnung?",
        "Help with the travel expense report",
        "Reset password",
        "How do I reset my password?",
        "Neu: wie viele Urlaubstage habe ich?",
        "Quellen zur Reisekostenrichtlinie",
        "sources of the vacation policy",
        "Help desk phone number?",
        "Was ist neu?",
        "help reset",  # two commands are no command
        "please please please help",  # more fillers than allowed
        "re-set",
        "h.e.l.p",
        "helpful",
        "danke",
        "bitte",
        "",
        "   ",
        "?!",
        "help " + "x" * 80,
    ],
)
def test_questions_and_noise_are_not_commands(text: str) -> None:
    assert parse_command(text) is None


def test_the_command_language_comes_from_the_command_word() -> None:
    reset_bitte = parse_command("reset bitte")
    hilfe_please = parse_command("Hilfe please")
    assert reset_bitte is not None and reset_bitte.language == "en"
    assert hilfe_please is not None and hilfe_please.language == "de"


# --- the texts the commands answer with ----------------------------------------------------------


def test_help_text_names_the_commands_of_its_language_and_three_examples() -> None:
    german = messages.help_text("de")
    english = messages.help_text("en")
    for command in ("**hilfe**", "**neu**", "**quellen**"):
        assert command in german
    for command in ("**help**", "**reset**", "**sources**"):
        assert command in english
    assert all(f"- {q}" in german for q in messages.DEFAULT_EXAMPLES["de"])
    assert all(f"- {q}" in english for q in messages.DEFAULT_EXAMPLES["en"])
    assert "{" not in german and "{" not in english


def test_help_text_takes_the_deployment_examples() -> None:
    examples = {"de": ["Wo finde ich das Kantinenmenü?", "Wer ist mein\nBetriebsrat?", "A?", "B?"]}
    german = messages.help_text("de", examples)
    assert "- Wo finde ich das Kantinenmenü?\n- Wer ist mein Betriebsrat?\n- A?\n\n" in german
    assert "B?" not in german  # at most three
    # a language the deployment did not configure falls back to the defaults
    assert messages.DEFAULT_EXAMPLES["en"][0] in messages.help_text("en", examples)


@pytest.mark.parametrize("key", ["reset_done", "sources_none", "sources_intro", "welcome", "informative"])
def test_command_texts_exist_in_both_languages(key: str) -> None:
    german, english = messages.text(key, "de"), messages.text(key, "en")
    assert german and english and german != english


def test_welcome_is_short_and_points_to_help() -> None:
    assert "**hilfe**" in messages.text("welcome", "de") and "**help**" in messages.text("welcome", "en")
    assert all(len(messages.text("welcome", lang)) <= 200 for lang in ("de", "en"))


def test_the_informative_update_fits_teams_1_kb() -> None:
    assert all(len(messages.text("informative", lang).encode()) <= 1024 for lang in ("de", "en"))
