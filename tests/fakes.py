"""Fakes for the outside systems (embedder, LLM server, directory) that unit and in-process tests
share. Each does the real thing's job in miniature; none stands in for code under test."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

import numpy as np

from access import UnknownUser, UserInfo
from connectors.llm import LLMUnavailable

VOCAB = ["hotel", "limit", "night", "vacation", "days", "salary", "canteen"]


class FakeEmbedder:
    """Bag of words over a tiny vocabulary; a query without any of them points elsewhere."""

    name = "fake-bow"
    dim = len(VOCAB) + 1

    def __init__(self) -> None:
        self.queries_embedded = 0

    def _one(self, text: str, is_query: bool) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            if word in VOCAB:
                vector[VOCAB.index(word)] += 1
        if is_query and not vector.any():
            vector[-1] = 1
        return vector / (np.linalg.norm(vector) or 1.0)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries_embedded += len(texts)
        return np.stack([self._one(t, True) for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._one(t, False) for t in texts])


class FakeLLM:
    """Streams fixed deltas, ``delay_s`` apart (a slow model), optionally failing after some."""

    def __init__(self, deltas: Sequence[str] = (), fail_after: int | None = None, delay_s: float = 0.0) -> None:
        self.name = "fake-llm"
        self.deltas = list(deltas)
        self.fail_after = fail_after
        self.delay_s = delay_s
        self.calls: list[list[dict[str, str]]] = []

    async def stream(self, messages: list[dict[str, str]]) -> AsyncIterator[str]:
        self.calls.append(messages)
        for i, delta in enumerate(self.deltas):
            if self.fail_after is not None and i >= self.fail_after:
                raise LLMUnavailable("ConnectError")
            await asyncio.sleep(self.delay_s)
            yield delta
        if self.fail_after is not None and self.fail_after >= len(self.deltas):
            raise LLMUnavailable("ReadTimeout")

    async def close(self) -> None:
        return None


class FakeDirectory:
    """Users and their (transitive) groups; unknown ids raise ``UnknownUser`` like Graph's 404."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self.groups = groups
        self.lookups = 0

    async def get_user(self, id_or_upn: str) -> UserInfo:
        self.lookups += 1
        user = id_or_upn.split("@", 1)[0]
        if user not in self.groups:
            raise UnknownUser(id_or_upn)
        return UserInfo(user, f"{user}@contoso.dev", user.title())

    async def transitive_group_ids(self, user_id: str) -> list[str]:
        return self.groups[user_id]

    async def list_users(self, limit: int = 100) -> list[UserInfo]:
        return [UserInfo(u, f"{u}@contoso.dev", u.title()) for u in list(self.groups)[:limit]]
