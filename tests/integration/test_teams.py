"""Teams activities POSTed to /api/messages; replies captured at a local Bot Connector."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.integration.activities import teams_message
from tests.integration.capture import ConnectorCapture
from tests.integration.conftest import Running


def post(running: Running, activity: dict[str, Any]) -> requests.Response:
    return requests.post(f"{running.app_url}/api/messages", json=activity, timeout=120)


def cited_urls(message: dict[str, Any]) -> list[str]:
    urls = []
    for entity in message.get("entities") or []:
        for claim in entity.get("citation") or []:
            urls.append(claim["appearance"]["url"])
    return urls


def item_url(manifest: dict[str, Any], item_id: str) -> str:
    for site in manifest["sites"]:
        for drive in site["drives"]:
            for item in drive["items"]:
                if item["id"] == item_id:
                    return str(item["path"].rsplit("/", 1)[-1])
    raise KeyError(item_id)


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
    running: Running,
    capture: ConnectorCapture,
    users: dict[str, Any],
    manifest: dict[str, Any],
    conversation_type: str,
    mention: bool,
    asker: str,
    question: str,
    expected_file: str,
) -> None:
    user = users[asker]
    activity = teams_message(
        text=question,
        user_id=user["id"],
        user_name=user["displayName"],
        tenant_id=manifest["tenant"]["id"],
        service_url=capture.url,
        conversation_type=conversation_type,
        mention_bot=mention,
    )
    response = post(running, activity)
    assert response.status_code in (200, 202), response.text
    message = capture.wait_for_message(activity["conversation"]["id"])
    sent = capture.activities(activity["conversation"]["id"])
    assert sent[0]["type"] == "typing", "a typing indicator comes before the answer"
    assert message["text"].strip()
    assert "<at>" not in message["text"]
    urls = cited_urls(message)
    assert urls, f"no citation entity in {message}"
    assert any(url.endswith(expected_file) for url in urls), urls
    if conversation_type != "personal":
        assert message.get("replyToId") == activity["id"] or message["_path"].endswith(activity["id"])


def test_mention_is_removed_by_entity_not_by_name(
    running: Running, capture: ConnectorCapture, users: dict[str, Any], manifest: dict[str, Any]
) -> None:
    """Only the mention entity's text is removed; a name that merely appears in the question stays."""
    user = users["dana.mueller@contoso.dev"]
    activity = teams_message(
        text="Assistant: wie viele Urlaubstage gibt es?",
        user_id=user["id"],
        user_name=user["displayName"],
        tenant_id=manifest["tenant"]["id"],
        service_url=capture.url,
        conversation_type="channel",
        mention_bot=True,
    )
    assert post(running, activity).status_code in (200, 202)
    message = capture.wait_for_message(activity["conversation"]["id"])
    assert any(url.endswith("Urlaubsregelung.docx") for url in cited_urls(message))


def test_activity_without_text_gets_a_polite_reply(
    running: Running, capture: ConnectorCapture, users: dict[str, Any], manifest: dict[str, Any]
) -> None:
    user = users["ben.carter@contoso.dev"]
    activity = teams_message(
        text="",
        user_id=user["id"],
        user_name=user["displayName"],
        tenant_id=manifest["tenant"]["id"],
        service_url=capture.url,
        locale="en-US",
    )
    del activity["text"]
    assert post(running, activity).status_code in (200, 202)
    message = capture.wait_for_message(activity["conversation"]["id"], timeout=30)
    assert "ask a question" in message["text"].lower() or "frage" in message["text"].lower()


def test_unknown_activity_type_does_not_crash(
    running: Running, capture: ConnectorCapture, users: dict[str, Any], manifest: dict[str, Any]
) -> None:
    user = users["ben.carter@contoso.dev"]
    activity = teams_message(
        text="hi",
        user_id=user["id"],
        user_name=user["displayName"],
        tenant_id=manifest["tenant"]["id"],
        service_url=capture.url,
    )
    activity["type"] = "somethingNew"
    response = post(running, activity)
    assert response.status_code < 500
    assert requests.get(f"{running.app_url}/healthz", timeout=5).status_code == 200


def test_user_outside_tenant_gets_no_documents(
    running: Running, capture: ConnectorCapture, users: dict[str, Any]
) -> None:
    user = users["anna.schmidt@contoso.dev"]
    activity = teams_message(
        text="Wie hoch ist die Hotelobergrenze?",
        user_id=user["id"],
        user_name="x",
        tenant_id="00000000-0000-0000-0000-000000000bad",
        service_url=capture.url,
    )
    assert post(running, activity).status_code in (200, 202)
    message = capture.wait_for_message(activity["conversation"]["id"], timeout=30)
    assert not cited_urls(message)
