"""Conversation history, feedback and the duplicate-delivery guard, behind small protocols.

Each kind of state has one protocol (:class:`ConversationStore`, :class:`FeedbackStore`,
:class:`DeliveryGuard`); :func:`open_sqlite_state` opens the embedded default, SQLite files in a
directory under ``DATA_DIR``. :func:`state.postgres.open_postgres_state` the shared one
in PostgreSQL (``DATABASE_URL``, for several replicas). Both pass the same contract tests
(``tests/unit/test_state_contract.py``; PostgreSQL's run in ``tests/integration``).
"""

from state.conversations import ConversationStore, HistoryLimits, Role, Turn, approx_tokens, bound_history
from state.dedup import DeliveryGuard
from state.feedback import AnsweredMessage, Feedback, FeedbackStore, Reaction, Surface
from state.sqlite import SQLiteConversationStore, SQLiteDeliveryGuard, SQLiteFeedbackStore, open_sqlite_state
from state.sqlite_database import SCHEMA_VERSION, SQLiteDatabase
from state.stores import Clock, StateStoreError, StateStores, utc_now

__all__ = [
    "SCHEMA_VERSION",
    "AnsweredMessage",
    "Clock",
    "ConversationStore",
    "DeliveryGuard",
    "Feedback",
    "FeedbackStore",
    "HistoryLimits",
    "Reaction",
    "Role",
    "SQLiteConversationStore",
    "SQLiteDatabase",
    "SQLiteDeliveryGuard",
    "SQLiteFeedbackStore",
    "StateStoreError",
    "StateStores",
    "Surface",
    "Turn",
    "approx_tokens",
    "bound_history",
    "open_sqlite_state",
    "utc_now",
]
