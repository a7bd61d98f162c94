"""Pure parts of the sync: the retry policy, site pages to HTML, the report table, the ingestor."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx
import numpy as np
import pytest
from kiota_abstractions.api_error import APIError
from msgraph.generated.models.canvas_layout import CanvasLayout
from msgraph.generated.models.horizontal_section import HorizontalSection
from msgraph.generated.models.horizontal_section_column import HorizontalSectionColumn
from msgraph.generated.models.site_page import SitePage
from msgraph.generated.models.standard_web_part import StandardWebPart
from msgraph.generated.models.text_web_part import TextWebPart
from msgraph.generated.models.web_part_data import WebPartData

from connectors.permissions import PermissionMapping
from connectors.resilience import RetryPolicy, parse_retry_after, retry_delay, with_retries
from connectors.site_pages import page_html, pages_drive_id, site_of_pages_drive
from retrieval.extract import default_registry
from retrieval.ingest import EMBED_BATCH, EMBED_MIN_BATCH, Ingestor, SyncState
from retrieval.snapshots import SnapshotStore
from retrieval.source import Change, Checkpoint, CursorReset, Delete, ItemGone, Upsert
from retrieval.sync_report import SyncReport, format_report
from retrieval.types import DocumentRef

POLICY = RetryPolicy(max_attempts=5, base_delay_s=1.0, max_backoff_s=8.0, max_retry_after_s=900.0)


def api_error(status: int, retry_after: str | None = None) -> APIError:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return APIError("boom", status, headers)


# --- retry policy ------------------------------------------------------------------------------


def test_retry_after_beyond_the_sdk_cap_is_honoured() -> None:
    assert retry_delay(api_error(429, "600"), 1, POLICY, lambda: 0.5) == 600.0
    assert retry_delay(api_error(503, "240"), 1, POLICY, lambda: 0.5) == 240.0


def test_retry_after_beyond_our_cap_gives_up() -> None:
    assert retry_delay(api_error(429, "901"), 1, POLICY, lambda: 0.5) is None


def test_retry_after_as_http_date() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:02:00 GMT", now) == 120.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_server_errors_and_timeouts_back_off_exponentially_with_jitter_and_a_cap() -> None:
    delays = [retry_delay(api_error(500), attempt, POLICY, lambda: 1.0) for attempt in range(1, 5)]
    assert delays == [1.0, 2.0, 4.0, 8.0]
    assert retry_delay(api_error(502), 4, RetryPolicy(max_attempts=9, max_backoff_s=3.0), lambda: 1.0) == 3.0
    assert retry_delay(httpx.ReadTimeout("slow"), 1, POLICY, lambda: 0.25) == 0.25
    assert retry_delay(api_error(429), 2, POLICY, lambda: 0.5) == 1.0  # no Retry-After: backoff


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_are_not_retried(status: int) -> None:
    assert retry_delay(api_error(status, "1"), 1, POLICY, lambda: 1.0) is None
    assert retry_delay(ValueError("bug"), 1, POLICY, lambda: 1.0) is None


def test_attempts_are_bounded() -> None:
    calls: list[int] = []
    waits: list[float] = []

    async def failing() -> None:
        calls.append(1)
        raise api_error(503, "2")

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    with pytest.raises(APIError):
        asyncio.run(with_retries(failing, POLICY, "test", sleep=sleep))
    assert len(calls) == POLICY.max_attempts and waits == [2.0] * (POLICY.max_attempts - 1)


# --- site pages --------------------------------------------------------------------------------


def test_page_html_keeps_text_web_parts_and_headings_in_order() -> None:
    page = SitePage(
        title="Reisen & Spesen",
        canvas_layout=CanvasLayout(
            horizontal_sections=[
                HorizontalSection(
                    columns=[
                        HorizontalSectionColumn(
                            webparts=[
                                TextWebPart(inner_html="<h2>Hotels</h2><p>Bis 120 Euro.</p>"),
                                StandardWebPart(data=WebPartData(title="Image", description="Show an image")),
                            ]
                        ),
                        HorizontalSectionColumn(webparts=[TextWebPart(inner_html="<h2>Bahn</h2><p>2. Klasse.</p>")]),
                    ]
                )
            ]
        ),
    )
    html = page_html(page).decode()
    assert html.index("<h1>Reisen &amp; Spesen</h1>") < html.index("Hotels") < html.index("Bahn")
    assert "Show an image" not in html
    extracted = default_registry().extract(page_html(page), "page.aspx", "text/html")
    assert extracted.title == "Reisen & Spesen"
    assert [(s.headings, s.text) for s in extracted.sections] == [
        (("Reisen & Spesen", "Hotels"), "Bis 120 Euro."),
        (("Reisen & Spesen", "Bahn"), "2. Klasse."),
    ]


def test_page_without_text_is_empty() -> None:
    assert page_html(SitePage(title="Leer", canvas_layout=CanvasLayout(horizontal_sections=[]))) == b""


def test_pages_drive_id_round_trip() -> None:
    assert site_of_pages_drive(pages_drive_id("host,1,2")) == "host,1,2"
    assert site_of_pages_drive("b!drive") is None


# --- report ------------------------------------------------------------------------------------


def test_report_table_lists_every_count() -> None:
    report = SyncReport(added=3, updated=1, deleted=2, permission_only=4, unknown_permission_items=1)
    report.skipped.update({"corrupt": 2, "too_large": 1})
    report.add_time("embedding", 2.0)
    report.finished = report.started + 2.0
    table = report.summary()
    for expected in ("added", "3", "permission-only updates", "corrupt", "too_large", "unknown permission shapes"):
        assert expected in table
    assert "documents per second" in table and "6.5" in table  # (3+1+2+4+3) / 2 s
    assert format_report(report.as_dict()) == table


# --- ingestor with a scripted source ---------------------------------------------------------


class WordCounter:
    """A tiny deterministic embedder: enough for the ingestor, which only stores vectors."""

    name = "test/words"
    dim = 4

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_passages(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.array([[len(t), t.count(" ") + 1, 1.0, 0.5] for t in texts], dtype=np.float32)


class ScriptedSource:
    def __init__(self, runs: list[list[Change]], acls: Mapping[tuple[str, str], frozenset[str]]) -> None:
        self.runs, self.acls = runs, dict(acls)

    async def changes(self, cursors: Mapping[str, str], known: Mapping[tuple[str, str], str]) -> AsyncIterator[Change]:
        for change in self.runs.pop(0):
            yield change

    async def item_acl(self, drive_id: str, item_id: str) -> PermissionMapping:
        if (drive_id, item_id) not in self.acls:
            raise ItemGone(drive_id, item_id)
        return PermissionMapping(self.acls[(drive_id, item_id)])


def doc(item: str, tag: str = "t1", name: str | None = None) -> DocumentRef:
    name = name or f"{item}.md"
    return DocumentRef(item, "d", "s", item, f"https://x/{name}", name, name, tag)


def upsert(item: str, text: str | None, acl: set[str], **kw: str) -> Upsert:
    content = None if text is None else f"# {item}\n\n{text}".encode()
    return Upsert(doc(item, **kw), frozenset(acl), "text/markdown", content)


def test_ingestor_restamps_unchanged_content_and_refreshes_permissions(tmp_path: Path) -> None:
    store, state = SnapshotStore(tmp_path / "index"), SyncState(tmp_path / "sync")
    ingestor = Ingestor(store, state, WordCounter(), default_registry(), 10_000)
    source = ScriptedSource(
        [
            [
                CursorReset("d"),
                upsert("a", "alpha text", {"group:1"}),
                upsert("b", "beta text", {"group:1"}),
                Checkpoint("d", "c1"),
            ],
            [
                upsert("a", None, {"group:1"}),
                upsert("b", None, {"group:2"}, name="b-renamed.md"),
                Delete("d", "zz"),
                Checkpoint("d", "c2"),
            ],
        ],
        {("d", "a"): frozenset({"user:9"})},
    )
    first = asyncio.run(ingestor.run(source))
    assert (first.added, first.drives_reset) == (2, 1) and state.load_cursors() == {"d": "c1"}
    second = asyncio.run(ingestor.run(source))
    assert (second.unchanged, second.permission_only, second.deleted, second.added) == (1, 1, 0, 0)
    chunks, _, _ = store.load()
    by_item = {c.doc.item_id: c for c in chunks}
    assert by_item["b"].acl == {"group:2"} and by_item["b"].doc.name == "b-renamed.md" and by_item["b"].doc.title == "b"
    refresh = asyncio.run(ingestor.refresh_permissions(source))
    assert (refresh.mode, refresh.permission_only, refresh.deleted) == ("permissions", 1, 1)
    chunks, _, _ = store.load()
    assert [(c.doc.item_id, c.acl) for c in chunks] == [("a", frozenset({"user:9"}))]
    assert state.load_cursors() == {"d": "c2"}  # a permission refresh leaves the cursors alone


def test_failed_sync_keeps_its_report_and_no_cursor(tmp_path: Path) -> None:
    class Broken(ScriptedSource):
        async def changes(
            self, cursors: Mapping[str, str], known: Mapping[tuple[str, str], str]
        ) -> AsyncIterator[Change]:
            yield upsert("a", "alpha text", {"group:1"})
            raise api_error(503)

    state = SyncState(tmp_path / "sync")
    ingestor = Ingestor(SnapshotStore(tmp_path / "index"), state, WordCounter(), default_registry(), 10_000)
    with pytest.raises(APIError):
        asyncio.run(ingestor.run(Broken([], {})))
    kept = state.load_report()
    assert kept is not None and kept["error"].startswith("APIError") and kept["added"] == 1
    assert state.load_cursors() == {}


def test_full_round_resumed_from_a_partial_checkpoint_still_drops_what_is_gone(tmp_path: Path) -> None:
    class Killed(ScriptedSource):
        def __init__(self, runs: list[list[Change | None]]) -> None:
            super().__init__(runs, {})  # type: ignore[arg-type]
            self.cursors_seen: list[dict[str, str]] = []

        async def changes(
            self, cursors: Mapping[str, str], known: Mapping[tuple[str, str], str]
        ) -> AsyncIterator[Change]:
            self.cursors_seen.append(dict(cursors))
            for change in self.runs.pop(0):
                if change is None:
                    raise KeyboardInterrupt  # stands in for kill -9: nothing after this point runs
                yield change

    store, state = SnapshotStore(tmp_path / "index"), SyncState(tmp_path / "sync")
    ingestor = Ingestor(store, state, WordCounter(), default_registry(), 10_000, checkpoint_interval_s=0)
    source = Killed(
        [
            [upsert("a", "alpha", {"g"}), upsert("old", "old text", {"g"}), Checkpoint("d", "c0")],
            [
                CursorReset("d"),
                upsert("a", None, {"g"}),
                Checkpoint("d", "p1", partial=True),
                upsert("b", "beta", {"g"}),
                None,
            ],
            [upsert("b", "beta", {"g"}), Checkpoint("d", "c1")],
        ]
    )
    asyncio.run(ingestor.run(source))
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(ingestor.run(source))
    assert state.load_cursors() == {"d": "p1"} and state.load_seen() == {"d": {"a"}}
    resumed = asyncio.run(ingestor.run(source))
    assert source.cursors_seen[-1] == {"d": "p1"}  # the round continued where it was saved
    chunks, _, _ = store.load()
    assert sorted({c.doc.item_id for c in chunks}) == ["a", "b"]  # "old" was not seen in the round
    assert resumed.deleted == 1 and state.load_seen() == {} and state.load_cursors() == {"d": "c1"}


def test_incremental_sync_writes_a_segment_of_the_changes_and_batches_embeddings(tmp_path: Path) -> None:
    class CountingEmbedder(WordCounter):
        calls: list[int] = []

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            self.calls.append(len(texts))
            return super().embed_passages(texts)

    store, state = SnapshotStore(tmp_path / "index"), SyncState(tmp_path / "sync")
    embedder = CountingEmbedder()
    ingestor = Ingestor(store, state, embedder, default_registry(), 10_000)
    first_run = [CursorReset("d"), *(upsert(f"doc{i}", f"text {i}", {"group:1"}) for i in range(30))]
    source = ScriptedSource(
        [
            [*first_run, Checkpoint("d", "c1")],
            [upsert("doc3", "changed text", {"group:1"}, tag="t2"), Delete("d", "doc4"), Checkpoint("d", "c2")],
        ],
        {},
    )
    asyncio.run(ingestor.run(source))
    assert embedder.calls == [30], "thirty one-chunk documents, one embedding call"
    assert len(store.generation()["segments"]) == 1
    asyncio.run(ingestor.run(source))
    segments = store.generation()["segments"]
    assert len(segments) == 2
    new_chunks, _ = store.load_segment(segments[1]["id"])
    assert [c.doc.item_id for c in new_chunks] == ["doc3"], "only the changed document is written again"
    assert {tuple(k) for k in segments[0]["dead"]} == {("d", "doc3"), ("d", "doc4")}
    chunks, _, _ = store.load()
    assert len({c.doc.item_id for c in chunks}) == 29
    assert [c.text for c in chunks if c.doc.item_id == "doc3"] == ["changed text"]


def test_an_idle_embedder_starts_on_a_small_batch_and_no_call_exceeds_the_full_batch(tmp_path: Path) -> None:
    class Recording(WordCounter):
        def __init__(self) -> None:
            self.calls: list[int] = []

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            self.calls.append(len(texts))
            return super().embed_passages(texts)

    embedder = Recording()
    store = SnapshotStore(tmp_path / "index")
    ingestor = Ingestor(store, SyncState(tmp_path / "sync"), embedder, default_registry(), 10_000)
    documents = 3 * EMBED_BATCH
    changes: list[Change] = [CursorReset("d")]
    changes += [upsert(f"i{n}", f"text number {n}", {"group:1"}) for n in range(documents)]
    changes.append(Checkpoint("d", "c1"))
    report = asyncio.run(ingestor.run(ScriptedSource([changes], {})))
    assert report.added == documents
    assert embedder.calls[0] == EMBED_MIN_BATCH  # the embedder did not wait for a full batch
    assert max(embedder.calls) <= EMBED_BATCH and sum(embedder.calls) == documents
    chunks, vectors, _ = store.load()
    assert len(chunks) == documents
    assert all(v[0] == len(c.indexed_text) for c, v in zip(chunks, vectors, strict=True))


def test_buffered_chunks_are_embedded_while_the_source_is_busy_with_its_next_page(tmp_path: Path) -> None:
    """The Graph source downloads a whole delta page before it yields again; the chunks buffered
    from the previous page must not wait for it (they did: the embedder sat idle meanwhile)."""
    page = EMBED_MIN_BATCH + 8

    class PagedSource(ScriptedSource):
        embedded_all: asyncio.Event
        waited_s = 0.0

        async def changes(
            self, cursors: Mapping[str, str], known: Mapping[tuple[str, str], str]
        ) -> AsyncIterator[Change]:
            self.embedded_all = asyncio.Event()
            yield CursorReset("d")
            for n in range(page):
                yield upsert(f"i{n}", f"text number {n}", {"group:1"})
            started = asyncio.get_running_loop().time()
            with contextlib.suppress(TimeoutError):  # "downloading the next page"
                await asyncio.wait_for(self.embedded_all.wait(), 10)
            self.waited_s = asyncio.get_running_loop().time() - started
            yield Checkpoint("d", "c1")

    source = PagedSource([], {})

    class Signalling(WordCounter):
        def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
            self.loop, self.embedded = loop, 0

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            self.embedded += len(texts)
            if self.embedded == page:
                self.loop.call_soon_threadsafe(source.embedded_all.set)
            return super().embed_passages(texts)

    async def sync() -> None:
        embedder = Signalling(asyncio.get_running_loop())
        ingestor = Ingestor(
            SnapshotStore(tmp_path / "index"), SyncState(tmp_path / "sync"), embedder, default_registry(), 10_000
        )
        report = await ingestor.run(source)
        assert report.added == page and embedder.embedded == page

    asyncio.run(sync())
    assert source.waited_s < 5, "the last chunks of the page were embedded while the source waited"
