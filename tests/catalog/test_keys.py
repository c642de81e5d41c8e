"""The global key rules of SPEC §4 (``catalog.keys``): what is accepted, what is refused and
why, what sanitizing makes of it, and how keys compare."""

from __future__ import annotations

import pytest

from adminapp.catalog.keys import KEY_MAX, OnInvalid, check_key, fold


@pytest.mark.parametrize(
    "key",
    [
        "a",
        "Robot-Arm_01.jpg",
        "x" * KEY_MAX,
        "gs://bucket/path/file.png",
        "one two three",
        "!_.*'()&$@=;/:+,?-",
        "https://example.com/a?b=c&d=e",
    ],
)
def test_keys_within_the_rules_are_kept_as_given(key):
    assert check_key(key) == check_key(key, OnInvalid.SANITIZE)
    checked = check_key(key)
    assert (checked.ok, checked.key, checked.sanitized) == (True, key, False)


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "must not be empty"),
        ("x" * (KEY_MAX + 1), f"at most {KEY_MAX} characters (got {KEY_MAX + 1})"),
        (" leading", "must not start or end with whitespace"),
        ("trailing ", "must not start or end with whitespace"),
        ("two  spaces", "two spaces in a row"),
        ("tab\there", "'\\t' (U+0009)"),
        ("café", "'é' (U+00E9)"),
        ("per%cent", "'%' (U+0025)"),
        ("back\\slash", "'\\\\' (U+005C)"),
        ("new\nline", "'\\n' (U+000A)"),
        ("zero\u200bwidth", "U+200B"),
    ],
)
def test_keys_breaking_a_rule_are_refused_saying_which(key, why):
    checked = check_key(key, OnInvalid.REJECT)
    assert not checked.ok
    assert checked.key == key
    assert why in checked.error


@pytest.mark.parametrize(
    ("key", "stored"),
    [
        ("  padded  ", "padded"),
        ("two  spaces", "two _spaces"),
        ("tab\there", "tab_here"),
        ("café", "caf_"),
        ("50% off", "50_ off"),
        ("a\u200bb", "a_b"),
    ],
)
def test_sanitize_replaces_what_is_not_allowed_with_underscores_and_says_so(key, stored):
    checked = check_key(key, "sanitize")
    assert (checked.ok, checked.key, checked.sanitized) == (True, stored, True)


@pytest.mark.parametrize("key", ["", "   ", "x" * (KEY_MAX + 1), "é" * (KEY_MAX + 1)])
def test_sanitize_never_shortens_so_empty_or_overlong_keys_stay_invalid(key):
    checked = check_key(key, OnInvalid.SANITIZE)
    assert not checked.ok
    assert checked.key == key


def test_keys_compare_by_lower_case_as_the_unique_index_does():
    assert fold("Robot-ARM") == fold("robot-arm") == "robot-arm"
    assert fold("A") != fold("B")
