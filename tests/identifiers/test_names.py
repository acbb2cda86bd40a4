"""Junk names and the normal form used in patient keys."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalpernet.identifiers.names import TEST_WORDS, junk_name_reason, normalise_name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("561", "digits_only"),
        (" 7 8 9 ", "digits_only"),
        ("１２３", "digits_only"),
        ("测试", "test_word"),
        ("TEST", "test_word"),
        ("aaa", "test_word"),
        ("XXX", "test_word"),
        ("无", "test_word"),
        ("未知", "test_word"),
        ("x", "single_latin_letter"),
        ("王", "too_short"),
        ("哈哈哈", "repeated_character"),
        ("bbbb", "repeated_character"),
        ("患者01", "contains_digits"),
        ("?!", "no_letters"),
        ("", "empty"),
        ("\u200b \t", "empty"),
    ],
)
def test_junk_reasons(name: str, reason: str) -> None:
    assert junk_name_reason(name) == reason


@pytest.mark.parametrize("name", ["张三", "欧阳娜娜", "阿卜杜·热合曼", "Li Wei", "王 芳", "Ng"])
def test_real_names_are_not_junk(name: str) -> None:
    assert junk_name_reason(name) is None


def test_normal_form_removes_spaces_and_invisibles_and_applies_nfkc() -> None:
    assert normalise_name(" 王\u3000芳\u200b ") == "王芳"
    assert normalise_name("Ｌｉ Ｗｅｉ") == "LiWei"


def test_a_combining_mark_after_a_removed_space_composes() -> None:
    assert normalise_name("e \u0301") == "\u00e9"


@given(st.text(max_size=20))
def test_normal_form_is_idempotent_and_has_no_whitespace(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once
    assert not any(ch.isspace() for ch in once)
    assert unicodedata.normalize("NFKC", once) == once


@given(st.text(alphabet="0123456789", min_size=1, max_size=8))
def test_any_digit_string_is_junk(name: str) -> None:
    assert junk_name_reason(name) == "digits_only"


@given(st.sampled_from(sorted(TEST_WORDS)))
def test_every_test_word_is_junk(word: str) -> None:
    assert junk_name_reason(word) is not None


@given(st.text(max_size=20))
def test_never_raises(name: str) -> None:
    reason = junk_name_reason(name)
    assert reason is None or reason.isidentifier()
