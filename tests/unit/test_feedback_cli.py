"""``python app.py feedback``: ratings from the state store, filtered by date, with the ratio."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli import main
from state import Feedback, open_sqlite_state


def _store(data: Path, ratings: list[Feedback]) -> None:
    async def go() -> None:
        state = open_sqlite_state(data / "state")
        for rating in ratings:
            await state.feedback.add(rating)
        await state.aclose()

    asyncio.run(go())


def test_feedback_lists_ratings_since_a_date_with_the_ratio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    _store(
        tmp_path,
        [
            Feedback("a1", "like", datetime(2026, 11, 2, tzinfo=UTC), cited=("d/i1",)),
            Feedback("a2", "dislike", datetime(2026, 11, 20, tzinfo=UTC), comment="zu kurz", cited=("d/i2",)),
            Feedback("a3", "like", datetime(2026, 11, 21, tzinfo=UTC), surface="web"),
        ],
    )
    assert main(["feedback", "--json", "--since", "2026-11-15"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["answer_id"] for r in report["ratings"]] == ["a2", "a3"]
    assert report["ratings"][0]["comment"] == "zu kurz" and report["ratings"][0]["cited"] == ["d/i2"]
    assert report["likes"] == 1 and report["dislikes"] == 1 and report["like_ratio"] == 0.5
    assert main(["feedback"]) == 0
    text = capsys.readouterr().out
    assert "3 ratings: 2 like, 1 dislike (67% liked)" in text and "“zu kurz”" in text


def test_feedback_with_a_bad_date_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        main(["feedback", "--since", "yesterday"])
    assert exit_info.value.code == 2
