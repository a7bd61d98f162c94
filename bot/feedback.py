"""Teams' feedback buttons: the ``message/submitAction`` invoke, read and stored.

Teams sends ``{actionName: "feedback", actionValue: {reaction: "like"|"dislike", feedback:
"<JSON string with feedbackText>"}}`` with ``replyToId`` naming the rated message (for a streamed
answer, the stream's id). The invoke is always answered HTTP 200 with an empty body, as Teams
requires, also when it is malformed or names a message we did not send: those are logged and
store nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes, InvokeResponse

from state import AnsweredMessage, Feedback, FeedbackStore, StateStoreError

log = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True)
class Rating:
    reaction: str
    comment: str


def rating_of(value: Any) -> Rating | None:
    """The rating in a submitAction invoke's ``value``; ``None`` when it is not a valid one."""
    if not isinstance(value, dict) or value.get("actionName") != "feedback":
        return None
    action = value.get("actionValue")
    if not isinstance(action, dict) or action.get("reaction") not in ("like", "dislike"):
        return None
    comment = ""
    raw = action.get("feedback")
    if isinstance(raw, str) and raw.strip():
        try:
            parsed = json.loads(raw)
        except (json.JSONDecodeError, RecursionError):
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("feedbackText"), str):
            comment = parsed["feedbackText"]
    return Rating(str(action["reaction"]), comment.strip()[:MAX_COMMENT_CHARS])


def message_key(conversation_id: str, message_id: str) -> str:
    """Teams message ids are unique within a conversation only."""
    return f"{conversation_id}|{message_id}"


def empty_invoke_response() -> Activity:
    return Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200))


class FeedbackRecorder:
    """Remembers which answer each sent message carries, and stores ratings of them."""

    def __init__(self, store: FeedbackStore) -> None:
        self._store = store

    async def sent(
        self, conversation_id: str, message_id: str | None, answer_id: str, cited: tuple[str, ...], asker: str
    ) -> None:
        if not message_id:
            log.warning("an answer message without an id: feedback on it cannot be matched")
            return
        try:
            await self._store.remember_message(
                AnsweredMessage(message_key(conversation_id, message_id), answer_id, datetime.now(UTC), cited, asker)
            )
        except Exception:  # noqa: BLE001 - the answer is delivered; only its rating would be lost
            log.exception("could not remember the answer message for feedback")

    async def rated(self, activity: Activity, asker: str) -> bool:
        """Store the rating in ``activity`` (a submitAction invoke); False when nothing was stored
        (also while the state database is unavailable: the rating is lost, and logged)."""
        try:
            return await self._rated(activity, asker)
        except StateStoreError as error:
            log.warning("feedback not stored: %s", error)
            return False

    async def _rated(self, activity: Activity, asker: str) -> bool:
        rating = rating_of(activity.value)
        conversation = activity.conversation.id if activity.conversation else ""
        if rating is None or not activity.reply_to_id:
            log.info("feedback invoke without a valid rating or message id; ignored")
            return False
        answered = await self._store.message_answer(message_key(conversation, activity.reply_to_id))
        if answered is None:
            log.info("feedback for a message this bot did not record; ignored")
            return False
        await self._store.add(
            Feedback(
                answer_id=answered.answer_id,
                reaction=rating.reaction,  # type: ignore[arg-type]  # checked in rating_of
                time=datetime.now(UTC),
                comment=rating.comment,
                asker=asker,
                message_key=answered.message_key,
                cited=answered.cited,
                surface="teams",
            )
        )
        return True
