"""LLM_PROFILE: named defaults for the LLM settings; explicit variables win."""

from __future__ import annotations

import pytest

from settings import Settings


def test_llm_profile_embedded_sets_the_embedded_defaults(env: pytest.MonkeyPatch) -> None:
    env.setenv("LLM_PROFILE", "embedded")
    settings = Settings()
    assert settings.llm_max_tokens == 120 and settings.llm_stop == ["\n\n", "###"]
    assert settings.retrieval_top_k == 3 and settings.llm_prompt == "short"
    assert settings.llm_chat_format == "alpaca" and settings.llm_model == "gemma-3-270m"
    assert settings.answer_strategy == "extract_first"


def test_an_explicit_variable_wins_over_the_profile(env: pytest.MonkeyPatch) -> None:
    env.setenv("LLM_PROFILE", "embedded")
    env.setenv("LLM_MAX_TOKENS", "64")
    env.setenv("RETRIEVAL_TOP_K", "1")
    settings = Settings()
    assert settings.llm_max_tokens == 64 and settings.retrieval_top_k == 1
    assert settings.llm_stop == ["\n\n", "###"]
    env.delenv("LLM_MAX_TOKENS")
    standard = Settings(llm_profile="standard")
    assert standard.llm_max_tokens == 400 and standard.llm_prompt == "default"
    assert standard.answer_strategy == "generate"


def test_unknown_llm_profile_is_refused(env: pytest.MonkeyPatch) -> None:
    env.setenv("LLM_PROFILE", "huge")
    with pytest.raises(ValueError, match="llm_profile"):
        Settings()
