"""The duplicate-delivery guard: an activity is answered once, whichever replica receives it.

The Bot Connector redelivers an activity when it got no timely answer, and several replicas may
each receive a copy. Before a turn starts, its key (channel + conversation id + activity id,
built by the caller) is claimed; only the caller that gets ``True`` answers.
"""

from __future__ import annotations

from typing import Protocol


class DeliveryGuard(Protocol):
    """Atomic, cross-process claims on activity keys, remembered for a TTL.

    Within the TTL, :meth:`claim` returns ``True`` exactly once per key, also under concurrent
    calls from several processes or replicas. Keys older than the TTL are pruned, so a key may be
    claimed again after that (the Bot Connector stops redelivering long before).

    A claim that is neither released nor marked done (the process died mid-turn) blocks the key
    until the TTL passes: a duplicate answer is judged worse than a lost one. The same holds for
    a :meth:`claim` whose caller is cancelled while it runs: the claim may have been made.
    """

    async def claim(self, key: str) -> bool:
        """``True`` if this caller now owns ``key``, ``False`` if someone claimed it before."""
        ...

    async def release(self, key: str) -> None:
        """Give up a claim whose turn failed, so a redelivery can claim it again. A key marked
        :meth:`done` stays claimed; releasing an unknown key does nothing."""
        ...

    async def done(self, key: str) -> None:
        """Mark the claimed turn delivered; later :meth:`release` calls no longer free it."""
        ...
