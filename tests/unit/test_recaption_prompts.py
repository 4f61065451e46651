"""Prompt templates: named, versioned, rendered with alt-text and document context hints."""

import pytest

from recaption.prompts import (
    MAX_HINT_CHARS,
    PromptTemplate,
    get_prompt,
    prompt_ids,
    register_prompt,
)


def test_builtin_templates_are_versioned_and_named():
    assert {"short@1", "dense@1", "alt_text@1", "context@1"} <= set(prompt_ids())
    assert get_prompt("dense").ref == "dense@1"
    assert get_prompt("short@1") is get_prompt("short")
    assert get_prompt("dense").max_new_tokens > get_prompt("short").max_new_tokens


def test_alt_text_prompt_carries_the_hint_and_asks_to_check_it():
    prompt = get_prompt("alt_text")
    assert prompt.needs_alt_text and not prompt.needs_context
    text = prompt.render(alt_text="  Golden   retriever\nat Brighton beach ")
    assert '"Golden retriever at Brighton beach"' in text
    assert "check it against the image" in text.lower()
    assert '"(none)"' in prompt.render(alt_text=None)


def test_context_prompt_uses_surrounding_text_and_bounds_it():
    prompt = get_prompt("context")
    assert prompt.needs_context
    text = prompt.render(context="word " * 1000)
    hint = text.split('"')[1]
    assert len(hint) == MAX_HINT_CHARS and hint.endswith("…")


def test_latest_version_wins_and_old_versions_stay_addressable():
    register_prompt(PromptTemplate("test_versions", 1, "Say one."))
    register_prompt(PromptTemplate("test_versions", 2, "Say two."))
    assert get_prompt("test_versions").text == "Say two."
    assert get_prompt("test_versions@1").text == "Say one."


def test_changing_text_without_a_new_version_is_refused():
    register_prompt(PromptTemplate("test_frozen", 1, "Original."))
    with pytest.raises(ValueError, match="already registered"):
        register_prompt(PromptTemplate("test_frozen", 1, "Edited."))


def test_unknown_prompts_name_the_known_ones():
    with pytest.raises(KeyError, match="short"):
        get_prompt("nope")
    with pytest.raises(KeyError, match="short@1"):
        get_prompt("short@9")
