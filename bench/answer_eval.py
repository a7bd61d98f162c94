"""Answer quality of the whole pipeline, for any model: facts, citations, refusals, grounding, time.

    .venv/bin/python bench/answer_eval.py [--json OUT] [--every N] [--env KEY=VALUE ...]

Starts the dev tenant and syncs it (like ``make run``), then asks every question of the set through
the real pipeline (``Assistant.stream``, as Teams, ``/api/ask`` and ``app.py ask`` do), as the
question's demo user. The model is whatever ``TGI_URL`` points at (TGI, vLLM, a llama.cpp server),
with the LLM settings of the environment; without ``TGI_URL`` the embedded llama.cpp server is
started with ``LLM_PROFILE=embedded`` (``--chat-format`` picks its chat format).

The set: the dev tenant's questions (``devtenant/seed/questions.json``: a gold fact and the gold
document each, German and English) and ``bench/unanswerable.json`` (no document answers them).

Reports fact accuracy per language (the gold fact, normalised, is in the answer), citation precision
(cited documents that are the gold one) and recall (answers citing the gold document), refusal
accuracy (unanswerable questions answered "nothing found", with no fact), answers whose model text
the grounding check caught, answers shown with a fact that is in no cited source (must be 0), and
time to first streamed text and to the final answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from answering.answer import Answer, TextDelta  # noqa: E402
from answering.assistant import Room  # noqa: E402
from answering.facts import extract_facts  # noqa: E402
from answering.grounding import GroundingCheck, is_refusal  # noqa: E402
from answering.language import clear_language  # noqa: E402
from answering.prompts import group_sources  # noqa: E402
from devstack.processes import Child, free_port, run_sync, start_devtenant, start_llm  # noqa: E402

SEED_QUESTIONS = REPO / "devtenant" / "seed" / "questions.json"
UNANSWERABLE = REPO / "bench" / "unanswerable.json"
LANGUAGES = ("de", "en")


def load_set(every: int = 1) -> list[dict[str, Any]]:
    answerable = [dict(q, answerable=True) for q in json.loads(SEED_QUESTIONS.read_text())]
    unanswerable = [dict(q, answerable=False) for q in json.loads(UNANSWERABLE.read_text())]
    return answerable[::every] + unanswerable[::every]


def fact_in(answer: str, fact: str) -> bool:
    """The gold fact is in the answer: each of its numbers, dates, codes and names (normalised:
    ``4,90``/``4.90``, ``31. März``/``31.03.``), or its text when it has none (``[secure]``)."""
    gold = {(f.kind, f.key) for f in extract_facts(fact)}
    if not gold:
        return " ".join(fact.lower().split()) in " ".join(answer.lower().split())
    found = {(f.kind, f.key) for f in extract_facts(answer)}
    return gold <= found


def refused(answer: Answer) -> bool:
    """ "Nothing found": the no-match outcome, or a model that said so and named no fact."""
    if str(answer.outcome) == "no_match":
        return True
    return not answer.citations or (is_refusal(answer.text) and not extract_facts(answer.text))


def shown_ungrounded(question: str, answer: Answer) -> bool:
    """A fact in the shown text that no cited source of the answer contains (the check's rule,
    applied to what the user saw, including the extractive and degraded answers)."""
    if str(answer.outcome) not in ("answered", "llm_down") or not answer.retrieved:
        return False
    text = answer.text
    if str(answer.outcome) == "llm_down" and "\n\n" in text:
        text = text.split("\n\n", 1)[1]  # our own fixed announcement before the quote is not a claim
    check = GroundingCheck(question, group_sources(answer.retrieved))
    return str(check.answer(text)[0]) == "ungrounded"


async def ask_all(settings_env: dict[str, str], questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    os.environ.update(settings_env)
    from composition import build_serving  # noqa: PLC0415 - after the environment is set
    from settings import Settings  # noqa: PLC0415

    serving = build_serving(Settings())
    serving.live_index.refresh()
    rows = []
    try:
        for q in questions:
            started = time.perf_counter()
            first: float | None = None
            final: Answer | None = None
            async for event in serving.assistant.stream(q["asker"], q["question"], Room("cli", "bench")):
                if isinstance(event, TextDelta):
                    first = first if first is not None else time.perf_counter() - started
                else:
                    final = event
            assert final is not None
            total = time.perf_counter() - started
            cited = [c.item_id for c in final.citations]
            rows.append(
                {
                    **q,
                    "answer": final.text,
                    "outcome": str(final.outcome),
                    "grounding": getattr(final, "grounding", ""),
                    "extractive": getattr(final, "extractive", False),
                    "cited": cited,
                    "fact_ok": q["answerable"] and fact_in(final.text, q["fact"]),
                    "refused": refused(final),
                    "shown_ungrounded": shown_ungrounded(q["question"], final),
                    "ttft_s": first if first is not None else total,
                    "total_s": total,
                }
            )
            row = rows[-1]
            mark = "ok " if (row["fact_ok"] if q["answerable"] else row["refused"]) else "-- "
            print(
                f"{mark}{total:5.1f}s {row['grounding'] or row['outcome']:<13} {q['question'][:60]!r} -> {final.text[:90]!r}",
                flush=True,
            )
    finally:
        await serving.close()
    return rows


def _share(values: list[bool]) -> float:
    return sum(values) / len(values) if values else float("nan")


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    cited = [c for r in answerable for c in r["cited"]]
    gold_cited = [c for r in answerable for c in r["cited"] if c == r["expected_item"]]
    times = [r["total_s"] for r in rows]
    ttft = [r["ttft_s"] for r in rows if r["outcome"] in ("answered", "llm_down")]
    return {
        "questions": len(rows),
        "fact_accuracy": {lang: _share([r["fact_ok"] for r in answerable if r["lang"] == lang]) for lang in LANGUAGES},
        "n_answerable": {lang: sum(r["lang"] == lang for r in answerable) for lang in LANGUAGES},
        "citation_precision": len(gold_cited) / len(cited) if cited else float("nan"),
        "citation_recall": _share([r["expected_item"] in r["cited"] for r in answerable]),
        "refusal_accuracy": _share([r["refused"] for r in unanswerable]),
        "n_unanswerable": len(unanswerable),
        "ungrounded_caught": sum(r["grounding"] in ("ungrounded", "truncated") for r in rows),
        "model_answers_replaced": sum(bool(r["extractive"]) for r in rows),
        "checks": {k: sum(r["grounding"] == k for r in rows) for k in sorted({r["grounding"] for r in rows})},
        "ungrounded_shown": sum(r["shown_ungrounded"] for r in rows),
        "ttft_s": {"p50": statistics.median(ttft) if ttft else None, "max": max(ttft) if ttft else None},
        "total_s": {
            "p50": statistics.median(times),
            "p90": sorted(times)[int(0.9 * (len(times) - 1))],
            "sum": sum(times),
        },
    }


def print_table(summary: dict[str, Any], label: str) -> None:
    fa = summary["fact_accuracy"]
    n = summary["n_answerable"]
    print(f"\nanswer quality: {label}")
    print(f"{'metric':<34}{'value':>10}")
    for lang in LANGUAGES:
        print(f"{'fact accuracy ' + lang + f' (n={n[lang]})':<34}{fa[lang]:>10.3f}")
    print(f"{'citation precision':<34}{summary['citation_precision']:>10.3f}")
    print(f"{'citation recall':<34}{summary['citation_recall']:>10.3f}")
    print(f"{'refusal accuracy (n=' + str(summary['n_unanswerable']) + ')':<34}{summary['refusal_accuracy']:>10.3f}")
    print(f"{'ungrounded caught by the check':<34}{summary['ungrounded_caught']:>10}")
    print(f"{'model answers replaced (extract)':<34}{summary['model_answers_replaced']:>10}")
    print(f"{'ungrounded shown (must be 0)':<34}{summary['ungrounded_shown']:>10}")
    ttft, total = summary["ttft_s"], summary["total_s"]
    print(f"{'time to first text p50 / max, s':<34}{ttft['p50'] or 0:>5.2f} / {ttft['max'] or 0:.2f}")
    print(f"{'total time p50 / p90, s':<34}{total['p50']:>5.2f} / {total['p90']:.2f}")
    print(f"{'checks':<34}{json.dumps(summary['checks'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the summary and every answer here")
    parser.add_argument("--every", type=int, default=1, help="every Nth question only (quick comparisons)")
    parser.add_argument("--chat-format", help="the embedded server's chat format (default: the profile's)")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE setting for this run (repeatable)")
    parser.add_argument("--label", default="", help="a name for this run in the table")
    parser.add_argument("--grep", default="", help="only the questions containing this text (case-insensitive)")
    parser.add_argument("--question", help="ask only this question (with --asker), e.g. to see why it is answered so")
    parser.add_argument("--asker", default="anna.schmidt@contoso.dev", help="the demo user asking --question")
    parser.add_argument("--verbose", action="store_true", help="show the pipeline's INFO log lines")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="reuse this DATA_DIR's index (from an earlier run's sync) instead of syncing again",
    )
    args = parser.parse_args()

    questions = [q for q in load_set(args.every) if args.grep.lower() in q["question"].lower()]
    if args.question:
        lang = "de" if clear_language(args.question) == "de" else "en"
        questions = [{"question": args.question, "lang": lang, "asker": args.asker, "answerable": False}]
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="    %(name)s: %(message)s")
    root = Path(tempfile.mkdtemp(prefix="answer-eval-"))
    logs = root / "logs"
    children: list[Child] = []
    tenant = start_devtenant(root / "devtenant", logs)
    children.append(tenant.child)
    try:
        data_dir = args.data_dir or root / "data"
        env = {**tenant.env(), "DATA_DIR": str(data_dir), "DEV_MODE": "true", "AUDIT_LEVEL": "none"}
        if os.environ.get("TGI_URL"):
            label = args.label or f"TGI_URL={os.environ['TGI_URL']}"
        else:
            kwargs = {"chat_format": args.chat_format} if args.chat_format else {}
            llm, url = start_llm(REPO / ".local" / "models", logs, free_port(), **kwargs)
            children.append(llm)
            env.update({"TGI_URL": url, "LLM_API_KEY": "-", "LLM_PROFILE": "embedded"})
            label = args.label or f"embedded ({args.chat_format or 'profile chat format'})"
        env.update(dict(item.split("=", 1) for item in args.env))
        if not (data_dir / "index").is_dir():
            print(run_sync(env, logs), flush=True)
        started = time.perf_counter()
        rows = asyncio.run(ask_all(env, questions))
        summary = summarise(rows)
        summary["wall_s"] = time.perf_counter() - started
        print_table(summary, f"{label}, {len(rows)} questions in {summary['wall_s']:.0f} s")
        if args.json:
            args.json.write_text(
                json.dumps({"label": label, "summary": summary, "rows": rows}, indent=1, ensure_ascii=False)
            )
    finally:
        for child in reversed(children):
            child.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
