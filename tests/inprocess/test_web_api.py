"""The web part's server side in-process: CORS, /api/feedback, the ``site`` restriction and
/openapi.json, on the real app (``create_app``) with the fakes of ``conftest``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from composition import create_app
from settings import Settings
from tests.fakes import FakeLLM
from tests.inprocess.conftest import Stack, serving_for, settings_for

SHAREPOINT = "https://contoso.sharepoint.com"
pytestmark = pytest.mark.asyncio

PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}


async def _cors_client(tmp_path: Path) -> tuple[TestClient, Any]:
    serving = serving_for(tmp_path, FakeLLM(["The hotel limit is 120 EUR per night [1]."]))
    app = create_app(
        settings_for(tmp_path, cors_allowed_origins=f"{SHAREPOINT} https://fabrikam.sharepoint.com"), serving
    )
    return TestClient(TestServer(app, host="127.0.0.1")), serving


# --- CORS -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback"])
async def test_preflight_from_an_allowed_origin_is_answered(tmp_path: Path, path: str) -> None:
    client, serving = await _cors_client(tmp_path)
    async with client:
        response = await client.options(path, headers={"Origin": SHAREPOINT, **PREFLIGHT})
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == SHAREPOINT
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
        assert response.headers["Vary"] == "Origin"
    await serving.state.aclose()


@pytest.mark.parametrize("origin", ["https://evil.example", "https://contoso.sharepoint.com.evil.example", "null"])
async def test_preflight_from_another_origin_gets_no_allow_origin(tmp_path: Path, origin: str) -> None:
    client, serving = await _cors_client(tmp_path)
    async with client:
        response = await client.options("/api/ask", headers={"Origin": origin, **PREFLIGHT})
        assert response.status == 403
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
        # The actual request (which a browser would not send) carries no allow-origin either.
        answer = await client.post("/api/ask", json={"question": "hotel", "user": "anna"}, headers={"Origin": origin})
        assert answer.status == 200 and "Access-Control-Allow-Origin" not in answer.headers
    await serving.state.aclose()


async def test_allowed_origin_gets_its_origin_on_json_and_streamed_answers(tmp_path: Path) -> None:
    client, serving = await _cors_client(tmp_path)
    async with client:
        plain = await client.post(
            "/api/ask", json={"question": "hotel limit", "user": "anna"}, headers={"Origin": SHAREPOINT}
        )
        assert plain.headers["Access-Control-Allow-Origin"] == SHAREPOINT
        streamed = await client.post(
            "/api/ask",
            json={"question": "hotel limit", "user": "anna"},
            headers={"Origin": "https://fabrikam.sharepoint.com", "Accept": "text/event-stream"},
        )
        assert streamed.headers["Access-Control-Allow-Origin"] == "https://fabrikam.sharepoint.com"
        assert "event: answer" in await streamed.text()
        assert "*" not in {
            plain.headers.get("Access-Control-Allow-Origin"),
            streamed.headers.get("Access-Control-Allow-Origin"),
        }
    await serving.state.aclose()


async def test_without_configured_origins_nothing_is_allowed(stack: Stack) -> None:
    response = await stack.client.options("/api/ask", headers={"Origin": SHAREPOINT, **PREFLIGHT})
    assert response.status == 403 and "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(
    "value",
    ["*", "https://*.sharepoint.com", "http://contoso.sharepoint.com", "https://contoso.sharepoint.com/sites/x"],
)
async def test_bad_cors_origins_are_refused_at_start(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValueError, match="CORS_ALLOWED_ORIGINS"):
        Settings.model_validate({"data_dir": tmp_path, "cors_allowed_origins": value})


# --- /api/feedback ----------------------------------------------------------------------------------


async def _answer_id(stack: Stack, user: str = "anna") -> str:
    answer = await (await stack.client.post("/api/ask", json={"question": "hotel limit", "user": user})).json()
    return str(answer["answer_id"])


async def test_feedback_on_an_own_answer_is_stored_for_the_web_surface(stack: Stack, tmp_path: Path) -> None:
    answer_id = await _answer_id(stack)
    response = await stack.client.post(
        "/api/feedback", json={"answer_id": answer_id, "reaction": "dislike", "comment": " zu knapp ", "user": "anna"}
    )
    assert response.status == 201 and await response.json() == {"stored": True}

    records = await _feedback_records(stack)
    assert [(r.answer_id, r.reaction, r.comment, r.surface) for r in records] == [
        (answer_id, "dislike", "zu knapp", "web")
    ]
    assert records[0].cited, "the cited documents are kept with the rating"


async def _feedback_records(stack: Stack) -> list[Any]:
    from bot.server import WEB_FEEDBACK

    return list(await stack.client.app[WEB_FEEDBACK]._store.list())


async def test_feedback_on_someone_elses_or_an_unknown_answer_is_404(stack: Stack) -> None:
    answer_id = await _answer_id(stack, "anna")
    other = await stack.client.post("/api/feedback", json={"answer_id": answer_id, "reaction": "like", "user": "dana"})
    unknown = await stack.client.post("/api/feedback", json={"answer_id": "f" * 32, "reaction": "like", "user": "anna"})
    assert other.status == 404 and unknown.status == 404
    assert await _feedback_records(stack) == []


@pytest.mark.parametrize(
    "body",
    [
        {"answer_id": "x", "reaction": "love", "user": "anna"},
        {"answer_id": "", "reaction": "like", "user": "anna"},
        {"answer_id": "x", "reaction": "like", "comment": "x" * 2001, "user": "anna"},
        {"answer_id": "x", "reaction": "like"},
        {"answer_id": 5, "reaction": "like", "user": "anna"},
        [],
    ],
)
async def test_feedback_bad_bodies_are_400(stack: Stack, body: Any) -> None:
    response = await stack.client.post("/api/feedback", json=body)
    assert response.status == 400 and "error" in await response.json()


async def test_feedback_needs_a_token_outside_dev_mode(tmp_path: Path) -> None:
    serving = serving_for(tmp_path, FakeLLM())
    async with TestClient(
        TestServer(create_app(settings_for(tmp_path, dev_mode=False), serving), host="127.0.0.1")
    ) as client:
        response = await client.post("/api/feedback", json={"answer_id": "x", "reaction": "like"})
        assert response.status == 401
    await serving.state.aclose()


# --- site ---------------------------------------------------------------------------------------------


async def test_site_restricts_retrieval_and_stays_trimmed(stack: Stack) -> None:
    question = {"question": "What is the hotel limit per night?"}
    same = await (await stack.client.post("/api/ask", json={**question, "user": "anna", "site": "site"})).json()
    other = await (await stack.client.post("/api/ask", json={**question, "user": "anna", "site": "other-site"})).json()
    sales = await (await stack.client.post("/api/ask", json={**question, "user": "dana", "site": "site"})).json()
    assert same["outcome"] == "answered" and same["citations"][0]["title"] == "Travel Policy"
    assert other["outcome"] == "no_match" and other["citations"] == []
    assert all(c["title"] != "Salary Bands" for c in sales["citations"])


async def test_site_must_be_a_string(stack: Stack) -> None:
    response = await stack.client.post("/api/ask", json={"question": "hotel", "user": "anna", "site": 3})
    assert response.status == 400


# --- /openapi.json ------------------------------------------------------------------------------------


async def test_openapi_describes_ask_and_feedback_from_the_models(stack: Stack) -> None:
    document = await (await stack.client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/api/ask", "/api/feedback"}
    schemas = document["components"]["schemas"]
    assert set(schemas["AskRequest"]["properties"]) >= {"question", "conversation_id", "site", "user"}
    assert schemas["FeedbackRequest"]["properties"]["reaction"]["enum"] == ["like", "dislike"]
    assert schemas["AskResponse"]["properties"]["citations"]["items"] == {"$ref": "#/components/schemas/CitationOut"}
