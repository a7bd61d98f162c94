"""The audit trail (who asked what, which documents were used or withheld) and log redaction.

Records are append-only JSON Lines, chained with an HMAC so that an edited, removed or reordered
record is detected by ``python app.py audit verify``. Askers are pseudonymised with the same key;
what else is stored is chosen by settings (see docs/security.md).
"""

from audit.redaction import RedactingFilter, install_redaction
from audit.trail import AuditRecord, AuditSettings, AuditTrail, VerifyResult, verify_trail

__all__ = [
    "AuditRecord",
    "AuditSettings",
    "AuditTrail",
    "RedactingFilter",
    "VerifyResult",
    "install_redaction",
    "verify_trail",
]
