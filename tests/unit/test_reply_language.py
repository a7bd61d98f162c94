"""answering/language.py: the reply language from the question, the Teams locales, then German."""

from __future__ import annotations

import pytest

from answering.language import clear_language, locale_language, reply_language


@pytest.mark.parametrize(
    ("text", "activity_locale", "client_locale", "expected"),
    [
        # the question's own language wins over any locale
        ("Wie viele Urlaubstage habe ich?", "en-US", "en-US", "de"),
        ("How many vacation days do I have?", "de-DE", "de-DE", "en"),
        ("Gehaltsbänder", "en-US", None, "de"),  # an umlaut is German
        # unclear (no function words): the activity's locale, then the client's
        ("VPN", "en-US", "de-DE", "en"),
        ("VPN", "de-DE", "en-US", "de"),
        ("VPN", None, "en-GB", "en"),
        ("VPN", "fr-FR", "en-US", "en"),  # a locale we do not speak is skipped
        ("Reisekosten 2025", "en_us", None, "en"),
        # nothing decides: German
        ("VPN", None, None, "de"),
        ("VPN", "fr-FR", "it-IT", "de"),
        ("", "", "", "de"),
    ],
)
def test_reply_language(text: str, activity_locale: str | None, client_locale: str | None, expected: str) -> None:
    assert reply_language(text, activity_locale, client_locale) == expected


def test_clear_language_is_none_on_a_tie() -> None:
    assert clear_language("Wie viele Urlaubstage?") == "de"
    assert clear_language("Where is the VPN guide?") == "en"
    assert clear_language("SharePoint Intranet") is None
    assert clear_language("the die") is None  # one function word each


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de-DE", "de"),
        ("DE", "de"),
        ("de-AT", "de"),
        ("en-us", "en"),
        ("en_GB", "en"),
        ("fr-FR", None),
        ("", None),
        (None, None),
    ],
)
def test_locale_language(locale: str | None, expected: str | None) -> None:
    assert locale_language(locale) == expected
