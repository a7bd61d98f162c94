"""Fuzzing both HTTP entry points with hypothesis: whatever arrives, the answer is never a 5xx and
the app stays up. Runs against the app whose LLM is down, so each accepted turn is quick."""

from __future__ import annotations

import json
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import Running, TeamsChannel

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=50),
    st.sampled_from(["", " ", "<at>Assistant</at>", "\u202e\u200b", "'; DROP TABLE x; --", "{{7*7}}", "x" * 5000]),
)


def _post(url: str, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(url, data=data, headers={"Content-Type": "application/json", **(headers or {})}, timeout=60)


@st.composite
def activities(draw: st.DrawFn, teams: TeamsChannel, user_ids: list[str]) -> dict[str, Any]:
    activity = teams.activity("anna.schmidt@contoso.dev", "x")
    activity["type"] = draw(
        st.sampled_from(["message", "conversationUpdate", "invoke", "event", "typing", "messageReaction"]) | texts
    )
    activity["text"] = draw(texts)
    activity["conversation"]["conversationType"] = draw(st.sampled_from(["personal", "groupChat", "channel"]) | texts)
    activity["conversation"]["id"] = draw(st.sampled_from([activity["conversation"]["id"]]) | texts)
    activity["from"]["aadObjectId"] = draw(st.sampled_from(user_ids) | texts | st.none())
    activity["locale"] = draw(st.sampled_from(["de-DE", "en-US"]) | texts)
    if draw(st.booleans()):
        activity["entities"] = draw(st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=3), max_size=3))
    if draw(st.booleans()):
        activity["channelData"] = draw(json_values)
    if draw(st.booleans()):
        activity["name"] = draw(st.sampled_from(["message/submitAction", "adaptiveCard/action"]) | texts)
        activity["value"] = draw(json_values)
    for field in draw(st.lists(st.sampled_from(["recipient", "serviceUrl", "channelId", "id", "from"]), max_size=2)):
        activity[field] = draw(json_values)
    return activity


def test_fuzz_messages_endpoint(degraded: str, teams: TeamsChannel, users: dict[str, Any]) -> None:
    user_ids = [u["id"] for u in users.values()]

    @FUZZ
    @given(body=activities(teams, user_ids) | json_values)
    def run(body: Any) -> None:
        response = _post(f"{degraded}/api/messages", body)
        assert response.status_code < 500, (response.status_code, response.text[:300], body)

    run()
    assert requests.get(f"{degraded}/healthz", timeout=10).status_code == 200


def test_fuzz_ask_endpoint(degraded: str, users: dict[str, Any]) -> None:
    @FUZZ
    @given(
        body=st.fixed_dictionaries(
            {"question": texts | json_values},
            optional={
                "user": st.sampled_from(list(users)) | texts | json_values,
                "conversation_id": texts | json_values,
            },
        )
        | json_values,
        stream=st.booleans(),
    )
    def run(body: Any, stream: bool) -> None:
        headers = {"Accept": "text/event-stream"} if stream else {}
        response = _post(f"{degraded}/api/ask", body, headers)
        assert response.status_code < 500, (response.status_code, response.text[:300], body)

    run()
    assert requests.get(f"{degraded}/healthz", timeout=10).status_code == 200


def test_fuzz_raw_bytes(running: Running) -> None:
    @FUZZ
    @given(body=st.binary(max_size=2000))
    def run(body: bytes) -> None:
        for path in ("/api/messages", "/api/ask"):
            response = _post(f"{running.app_url}{path}", body)
            assert 400 <= response.status_code < 500, (path, response.status_code, body[:100])

    run()
