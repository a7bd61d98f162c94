"""devtenant: a local stand-in for Microsoft 365 (Entra ID token endpoint + a Graph v1.0 subset).

Start it with ``python -m devtenant --state-dir DIR``; see ``devtenant/README.md``.
"""

from .config import DevTenantConfig, load_connection_info
from .server import create_devtenant_app, serve
from .tokens import issue_user_token

__all__ = [
    "DevTenantConfig",
    "create_devtenant_app",
    "issue_user_token",
    "load_connection_info",
    "serve",
]
