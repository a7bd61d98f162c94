"""In-process caches shared by the access, connector and bot layers."""

from caching.ttl import TTLCache

__all__ = ["TTLCache"]
