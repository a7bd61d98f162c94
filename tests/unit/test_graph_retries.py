"""The Graph client's single retry layer and the translation of SDK errors, over a scripted transport.

The real msgraph-sdk request builders, error mapping and middleware (``connectors.graph.
graph_middleware``, exactly what ``connect`` installs) run against an ``httpx.MockTransport`` that
answers from a script and records every request; no network, no token.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

from access import DirectoryUnavailable, PermissionCheckUnavailable
from connectors.current_permissions import GraphCurrentPermissions
from connectors.directory import GraphDirectory
from connectors.errors import http_status, is_gone, response_header
from connectors.graph import graph_middleware
from connectors.resilience import SERVING_RETRY, RetryPolicy, with_retries
from connectors.sharepoint import SharePointSource, SourceOptions
from retrieval.source import ItemGone

T = TypeVar("T")
NO_WAIT = RetryPolicy(max_attempts=3, base_delay_s=0.0)


def answer(status: int, body: dict[str, Any] | None = None, retry_after: str | None = None) -> httpx.Response:
    if body is None and status >= 400:
        body = {"error": {"code": f"http{status}", "message": "scripted"}}
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(status, json=body or {}, headers=headers)


class ScriptedGraph:
    """Answers each path from its script (the last answer repeats) and records every request."""

    def __init__(self, script: dict[str, list[httpx.Response]]) -> None:
        self.script = {re.compile(pattern): list(answers) for pattern, answers in script.items()}
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1.0")
        self.paths.append(path)
        for pattern, answers in self.script.items():
            if pattern.fullmatch(path):
                scripted = answers.pop(0) if len(answers) > 1 else answers[0]
                return httpx.Response(scripted.status_code, headers=scripted.headers, content=scripted.content)
        return answer(404)

    def count(self, path: str) -> int:
        return self.paths.count(path)


def run_with(graph: ScriptedGraph, body: Callable[[GraphServiceClient], Awaitable[T]]) -> T:
    async def main() -> T:
        http = GraphClientFactory.create_with_custom_middleware(
            graph_middleware(), client=httpx.AsyncClient(transport=httpx.MockTransport(graph))
        )
        adapter = GraphRequestAdapter(AnonymousAuthenticationProvider(), client=http)
        adapter.base_url = "https://graph.test/v1.0"
        try:
            return await body(GraphServiceClient(request_adapter=adapter))
        finally:
            await http.aclose()

    return asyncio.run(main())


def source(client: GraphServiceClient, retry: RetryPolicy = NO_WAIT) -> SharePointSource:
    return SharePointSource(client, "tenant-1", [], options=SourceOptions(retry=retry))


@pytest.fixture
def throttled() -> ScriptedGraph:
    return ScriptedGraph({"/users/anna": [answer(429, retry_after="0")]})


# --- one retry layer ---------------------------------------------------------------------------


def test_the_graph_client_itself_sends_a_throttled_request_once(throttled: ScriptedGraph) -> None:
    with pytest.raises(APIError) as failure:
        run_with(throttled, lambda client: client.users.by_user_id("anna").get())
    assert http_status(failure.value) == 429
    assert throttled.paths == ["/users/anna"]  # kiota's RetryHandler would have sent it 4 times


def test_our_policy_is_the_only_retry_loop(throttled: ScriptedGraph) -> None:
    with pytest.raises(APIError):
        run_with(throttled, lambda client: with_retries(client.users.by_user_id("anna").get, NO_WAIT, "user"))
    assert throttled.count("/users/anna") == NO_WAIT.max_attempts


def test_the_middleware_is_the_sdk_default_without_retry_handler() -> None:
    names = [type(m).__name__ for m in graph_middleware()]
    assert names == [
        "RedirectHandler",
        "ParametersNameDecodingHandler",
        "UrlReplaceHandler",
        "UserAgentHandler",
        "HeadersInspectionHandler",
        "BodyInspectionHandler",
        "GraphTelemetryHandler",
    ]


def test_downloads_still_follow_the_redirect() -> None:
    graph = ScriptedGraph(
        {
            "/drives/d/items/i/content": [httpx.Response(302, headers={"Location": "https://files.test/blob"})],
            "/blob": [httpx.Response(200, content=b"bytes")],
        }
    )
    content = run_with(graph, lambda client: client.drives.by_drive_id("d").items.by_drive_item_id("i").content.get())
    assert content == b"bytes" and graph.paths == ["/drives/d/items/i/content", "/blob"]


# --- one status extractor -----------------------------------------------------------------------


def test_status_and_headers_of_sdk_and_httpx_errors() -> None:
    sdk = APIError("throttled", 429, {"retry-after": "7"})
    assert (http_status(sdk), response_header(sdk, "Retry-After")) == (429, "7")
    response = httpx.Response(503, headers={"Retry-After": "3"}, request=httpx.Request("GET", "https://x"))
    plain = httpx.HTTPStatusError("down", request=response.request, response=response)
    assert (http_status(plain), response_header(plain, "retry-after")) == (503, "3")
    assert http_status(ValueError("bug")) is None and response_header(ValueError("bug"), "Retry-After") is None
    assert [is_gone(APIError("x", s, {})) for s in (404, 410, 400, 403, 503)] == [True, True, False, False, False]


# --- "item gone" as a typed error ---------------------------------------------------------------

PERMISSIONS = "/drives/d/items/i/permissions"
OK_PERMISSIONS = {PERMISSIONS: [answer(200, {"value": []})], "/drives/d": [answer(200, {"id": "d"})]}


@pytest.mark.parametrize("status", [404, 410])
def test_a_deleted_item_is_item_gone(status: int) -> None:
    graph = ScriptedGraph({PERMISSIONS: [answer(status)]})
    with pytest.raises(ItemGone) as gone:
        run_with(graph, lambda client: source(client).item_acl("d", "i"))
    assert (gone.value.drive_id, gone.value.item_id) == ("d", "i")
    assert graph.count(PERMISSIONS) == 1  # not retried


def test_a_page_of_a_deleted_site_is_item_gone() -> None:
    graph = ScriptedGraph({"/sites/s1/drive": [answer(404)]})
    with pytest.raises(ItemGone) as gone:
        run_with(graph, lambda client: source(client).item_acl("pages:s1", "home"))
    assert (gone.value.drive_id, gone.value.item_id) == ("pages:s1", "home")


def test_forbidden_is_not_gone() -> None:
    graph = ScriptedGraph({PERMISSIONS: [answer(403)]})
    with pytest.raises(APIError) as failure:
        run_with(graph, lambda client: source(client).item_acl("d", "i"))
    assert not isinstance(failure.value, ItemGone) and http_status(failure.value) == 403


def test_a_503_is_retried_by_our_policy() -> None:
    graph = ScriptedGraph({**OK_PERMISSIONS, PERMISSIONS: [answer(503), answer(200, {"value": []})]})
    mapping = run_with(graph, lambda client: source(client).item_acl("d", "i"))
    assert mapping.acl == frozenset() and mapping.unknown == ()
    assert graph.count(PERMISSIONS) == 2


def test_answer_time_check_reads_gone_as_nobody_and_fails_closed_otherwise() -> None:
    gone = ScriptedGraph({PERMISSIONS: [answer(404)]})
    check = run_with(gone, lambda client: GraphCurrentPermissions(source(client, SERVING_RETRY)).current_acl("d", "i"))
    assert check == frozenset()
    down = ScriptedGraph({PERMISSIONS: [answer(503)]})
    with pytest.raises(PermissionCheckUnavailable):
        run_with(down, lambda client: GraphCurrentPermissions(source(client, SERVING_RETRY)).current_acl("d", "i"))
    assert down.count(PERMISSIONS) == SERVING_RETRY.max_attempts


def test_answer_time_check_does_not_wait_out_a_long_retry_after() -> None:
    graph = ScriptedGraph({PERMISSIONS: [answer(429, retry_after="30")]})
    with pytest.raises(PermissionCheckUnavailable):  # at once: not the timeout, the policy refuses to wait
        run_with(graph, lambda client: GraphCurrentPermissions(source(client, SERVING_RETRY), 60).current_acl("d", "i"))
    assert graph.count(PERMISSIONS) == 1


# --- directory lookups on the serving path ------------------------------------------------------

ANNA = {"id": "u-anna", "userPrincipalName": "anna@test.dev", "displayName": "Anna"}


def test_directory_retries_a_blip_once() -> None:
    graph = ScriptedGraph({"/users/anna": [answer(503), answer(200, ANNA)]})
    user = run_with(graph, lambda client: GraphDirectory(client, SERVING_RETRY).get_user("anna"))
    assert user.id == "u-anna" and graph.count("/users/anna") == 2


@pytest.mark.parametrize(
    ("failure", "sent"), [(answer(503), SERVING_RETRY.max_attempts), (answer(429, retry_after="30"), 1)]
)
def test_directory_gives_up_quickly_and_says_unavailable(failure: httpx.Response, sent: int) -> None:
    graph = ScriptedGraph({"/users/anna/transitiveMemberOf": [failure]})
    with pytest.raises(DirectoryUnavailable):
        run_with(graph, lambda client: GraphDirectory(client, SERVING_RETRY).transitive_group_ids("anna"))
    assert graph.count("/users/anna/transitiveMemberOf") == sent
