"""Teams activities POSTed to /api/messages; replies captured at a local Bot Connector."""

from __future__ import annotations

import pytest
import requests

from tests.integration.activities import cited_urls
from tests.integration.conftest import TeamsChannel


@pytest.mark.parametrize(
    ("conversation_type", "mention", "asker", "question", "expected_file"),
    [
        (
            "personal",
            False,
            "anna.schmidt@contoso.dev",
            "Wie hoch ist die Hotelobergrenze pro Nacht in Deutschland?",
            "Reisekostenrichtlinie.pdf",
        ),
        (
            "groupChat",
            True,
            "ben.carter@contoso.dev",
            "Which approved second factors are allowed for multi-factor authentication?",
            "IT-Security-Guideline.pdf",
        ),
        (
            "channel",
            True,
            "clara.weber@contoso.dev",
            "Bis wann kann Resturlaub ins nächste Jahr übertragen werden?",
            "Urlaubsregelung.docx",
        ),
    ],
)
def test_teams_conversation_answers_with_citation(
    teams: TeamsChannel, conversation_type: str, mention: bool, asker: str, question: str, expected_file: str
) -> None:
    activity = teams.activity(asker, question, conversation_type=conversation_type, mention_bot=mention)
    message = teams.turn(activity)
    sent = teams.capture.activities(activity["conversation"]["id"])
    assert sent[0]["type"] == "typing", "a typing indicator comes before the answer"
    assert message["text"].strip()
    assert "<at>" not in message["text"]
    urls = cited_urls(message)
    assert urls, f"no citation entity in {message}"
    assert any(url.endswith(expected_file) for url in urls), urls
    if conversation_type != "personal":
        assert message.get("replyToId") == activity["id"] or message["_path"].endswith(activity["id"])


def test_channel_question_containing_the_bot_name_is_answered(teams: TeamsChannel) -> None:
    """The mention is stripped by entity (see tests/unit/test_teams_translation.py); the rest is answered."""
    activity = teams.activity(
        "dana.mueller@contoso.dev",
        "Assistant: wie viele Urlaubstage gibt es?",
        conversation_type="channel",
        mention_bot=True,
    )
    message = teams.turn(activity)
    assert any(url.endswith("Urlaubsregelung.docx") for url in cited_urls(message))


def test_activity_without_text_gets_a_polite_reply(teams: TeamsChannel) -> None:
    activity = teams.activity("ben.carter@contoso.dev", "", locale="en-US")
    del activity["text"]
    message = teams.turn(activity, timeout=30)
    assert "ask a question" in message["text"].lower() or "frage" in message["text"].lower()


def test_unknown_activity_type_does_not_crash(teams: TeamsChannel) -> None:
    activity = teams.activity("ben.carter@contoso.dev", "hi")
    activity["type"] = "somethingNew"
    assert teams.post(activity).status_code < 500
    assert requests.get(f"{teams.running.app_url}/healthz", timeout=5).status_code == 200


def test_activity_from_another_tenant_is_refused(teams: TeamsChannel) -> None:
    activity = teams.activity(
        "anna.schmidt@contoso.dev",
        "Wie hoch ist die Hotelobergrenze?",
        tenant_id="00000000-0000-0000-0000-000000000bad",
    )
    response = teams.post(activity)
    assert response.status_code == 403 and "tenant" in response.json()["error"]
    assert teams.capture.activities(activity["conversation"]["id"]) == [], "nothing is sent to another tenant"


def test_service_url_outside_the_allow_list_is_refused(teams: TeamsChannel) -> None:
    activity = teams.activity("anna.schmidt@contoso.dev", "Wie hoch ist die Hotelobergrenze?")
    activity["serviceUrl"] = "https://attacker.example.com/"
    response = teams.post(activity)
    assert response.status_code == 403 and "serviceUrl" in response.json()["error"]
