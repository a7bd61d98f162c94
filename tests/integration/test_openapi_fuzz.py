"""Fuzzing /api/ask and /api/feedback from the app's own /openapi.json with schemathesis:
valid and invalid bodies derived from the pydantic models, never a 5xx. Runs against the app
whose LLM is down (``degraded``), so each accepted question is answered quickly."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from tests.integration.conftest import Running


@pytest.fixture(scope="module")
def web_api(degraded: str) -> Any:
    document = requests.get(f"{degraded}/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.1")
    return schemathesis.openapi.from_url(f"{degraded}/openapi.json")


schema = schemathesis.pytest.from_fixture("web_api")


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_web_api_never_answers_5xx(case: Any, degraded: str) -> None:
    response = case.call(base_url=degraded, timeout=60)
    assert response.status_code < 500, (response.status_code, response.text[:300], case.body)


def test_fuzzed_app_is_still_up(degraded: str, running: Running) -> None:
    assert requests.get(f"{degraded}/healthz", timeout=10).status_code == 200
