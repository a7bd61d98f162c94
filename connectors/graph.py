"""Building the Microsoft Graph client (msgraph-sdk over azure-identity) from settings.

Everything Entra-related derives from ``AZURE_AUTHORITY_HOST`` and ``GRAPH_BASE_URL`` so that a
sovereign cloud, or the local dev tenant, is only configuration. Two SDK details matter:

* azure-identity must be told ``disable_instance_discovery=True`` for an authority that is not
  one of Microsoft's (otherwise MSAL asks login.microsoftonline.com whether it is valid);
* the kiota auth provider attaches the token only for its ``allowed_hosts``, so the Graph host
  must be listed there or requests go out without a token.

Outbound TLS trusts ``SSL_CERT_FILE`` when it is set (the dev tenant's CA), for both the token
requests and Graph.

The client has the SDK's default middleware **without** kiota's ``RetryHandler``: every call
that should retry goes through ``connectors.resilience.with_retries``, the one retry layer. With
both, one call against a throttling tenant was sent up to 4 × ``GRAPH_RETRY_MAX_ATTEMPTS`` times,
and the SDK's waits were invisible to our bounds and logs.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.identity.aio import CertificateCredential, ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware import BaseMiddleware, RetryHandler
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.graph_request_adapter import options as msgraph_default_options
from msgraph_core import GraphClientFactory
from msgraph_core.middleware import GraphTelemetryHandler
from msgraph_core.middleware.options import GraphTelemetryHandlerOption

_PUBLIC_AUTHORITIES = {
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn",
}
_NATIONAL_GRAPH_HOSTS = {
    "graph.microsoft.com",
    "graph.microsoft.us",
    "dod-graph.microsoft.us",
    "microsoftgraph.chinacloudapi.cn",
}


@dataclass(frozen=True)
class GraphConfig:
    """What the Graph connector needs, taken from ``Settings`` by ``app.py``."""

    tenant_id: str
    client_id: str
    client_secret: str | None
    certificate_path: Path | None
    authority_host: str
    base_url: str
    ca_file: Path | None
    timeout_s: float = 30.0

    @property
    def graph_host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def scope(self) -> str:
        host = self.graph_host
        if host in _NATIONAL_GRAPH_HOSTS:
            return f"https://{host}/.default"
        return "https://graph.microsoft.com/.default"


def ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """System trust plus ``ca_file`` (when given)."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def build_credential(config: GraphConfig) -> Any:
    """An async azure-identity credential for app-only Graph access."""
    authority_host = urlsplit(config.authority_host).hostname or ""
    kwargs: dict[str, Any] = {
        "authority": config.authority_host,
        "disable_instance_discovery": authority_host not in _PUBLIC_AUTHORITIES,
    }
    if config.ca_file is not None:
        kwargs["connection_verify"] = str(config.ca_file)
    if config.client_secret:
        return ClientSecretCredential(config.tenant_id, config.client_id, config.client_secret, **kwargs)
    if config.certificate_path is not None:
        return CertificateCredential(config.tenant_id, config.client_id, str(config.certificate_path), **kwargs)
    raise ValueError("Graph needs AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH")


@dataclass
class GraphConnection:
    """A ready Graph client and the resources to close with it."""

    client: GraphServiceClient
    credential: Any
    http: httpx.AsyncClient
    config: GraphConfig

    async def close(self) -> None:
        await self.http.aclose()
        await self.credential.close()


def graph_middleware() -> list[BaseMiddleware]:
    """The pipeline msgraph-sdk builds for its own client, minus kiota's ``RetryHandler``.

    msgraph-sdk's adapter calls ``GraphClientFactory.create_with_default_middleware(options=...)``:
    kiota's ``get_default_middleware`` (redirects, which content downloads need, parameter-name
    decoding, URL replacement, user agent, header and body inspection) plus Graph telemetry. All
    of that stays, with the same options. The handler is left out rather than configured with
    ``RetryHandlerOption(max_retries=0)``: a request-level option would override that, and
    nothing can re-enable a handler that is not there.
    """
    options = msgraph_default_options
    middleware = KiotaClientFactory.get_default_middleware(options)
    telemetry = options[GraphTelemetryHandlerOption.get_key()]
    assert isinstance(telemetry, GraphTelemetryHandlerOption)
    return [m for m in middleware if not isinstance(m, RetryHandler)] + [GraphTelemetryHandler(options=telemetry)]


def connect(config: GraphConfig) -> GraphConnection:
    """Create the Graph client; no request is made until it is used."""
    credential = build_credential(config)
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[config.scope], allowed_hosts=[config.graph_host])
    http = GraphClientFactory.create_with_custom_middleware(
        graph_middleware(),
        client=httpx.AsyncClient(
            verify=ssl_context(config.ca_file),
            timeout=httpx.Timeout(config.timeout_s),
            trust_env=False,
        ),
    )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = config.base_url.rstrip("/")
    return GraphConnection(GraphServiceClient(request_adapter=adapter), credential, http, config)
