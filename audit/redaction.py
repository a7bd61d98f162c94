"""Keeping secrets out of ordinary logs.

Our own log lines name ids and outcomes, never document text; this filter is the second line of
defence for what libraries log: bearer tokens, JWTs, client secrets and ``key=value`` secrets in
URLs and messages are replaced before any handler formats the record.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"), "Bearer [redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[redacted-jwt]"),
    (
        re.compile(
            r"(?i)\b(client_secret|access_token|refresh_token|api[_-]?key|password|assertion|code)=([^&\s\"']+)"
        ),
        r"\1=[redacted]",
    ),
    (re.compile(r"(?i)(\"(?:client_secret|access_token|refresh_token|password)\"\s*:\s*\")[^\"]+"), r"\1[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (with its arguments merged) when it contains a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logged as it is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
