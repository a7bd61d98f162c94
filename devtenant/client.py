"""Client-side wiring for `azure-identity` + `msgraph-sdk` against a running dev tenant.

This is the reference for what a real Graph connector has to configure so the
same code talks to either Microsoft 365 or devtenant (see README.md):

* the credential's ``authority`` is the dev tenant URL and instance discovery is off;
* the CA must be trusted explicitly (``connection_verify`` for azure-identity,
  an ``ssl.SSLContext`` for the httpx client msgraph uses);
* the auth provider needs explicit Graph ``scopes`` and ``allowed_hosts``
  containing the dev tenant host, or it silently sends requests without a token;
* the request adapter's ``base_url`` must be the dev tenant's ``/v1.0`` URL.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

import httpx
from azure.identity.aio import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory

from .config import GRAPH_SCOPE


def credential(info: Mapping[str, Any]) -> ClientSecretCredential:
    """An async `ClientSecretCredential` that gets tokens from the dev tenant."""
    return ClientSecretCredential(
        info["tenant_id"],
        info["client_id"],
        info["client_secret"],
        authority=info["authority_host"],
        disable_instance_discovery=True,
        connection_verify=info["ca_file"],
    )


def graph_client(
    info: Mapping[str, Any], cred: ClientSecretCredential | None = None
) -> tuple[GraphServiceClient, httpx.AsyncClient]:
    """A `GraphServiceClient` for the dev tenant, plus its httpx client (close it when done)."""
    cred = cred or credential(info)
    base_url: str = info["graph_base_url"]
    auth = AzureIdentityAuthenticationProvider(
        cred, scopes=[GRAPH_SCOPE], allowed_hosts=[urlparse(base_url).hostname or "127.0.0.1"]
    )
    http = httpx.AsyncClient(
        base_url=base_url,
        verify=ssl.create_default_context(cafile=info["ca_file"]),
        timeout=httpx.Timeout(100, connect=30),
    )
    http = GraphClientFactory.create_with_default_middleware(client=http)  # retry, redirect, ...
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter), http
