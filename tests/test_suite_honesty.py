"""The suite's own rules, checked on its source: tests do not sleep to wait for something
(they wait for the thing: ``tests.helpers.wait_for``), and a test pins the status it expects
instead of accepting several."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# Where a sleep is the point: a poll loop's interval, a fixed rate-limit window, a server
# scripted to answer slowly.
SLEEPS_ALLOWED = {
    "helpers.py": "wait_for's poll interval",
    "conftest.py": "the poll for a worker's ready line",
    "api/helpers.py": "moving off a rate-limit window's edge",
    "client/scripted_server.py": "a reply scripted to be slow",
    "core/test_up.py": "the poll for /readyz",
}


def _sources():
    for path in sorted(TESTS.rglob("*.py")):
        yield path.relative_to(TESTS).as_posix(), ast.parse(path.read_text(), str(path))


def test_no_test_sleeps_to_wait_for_something():
    found = [
        f"{name}:{node.lineno}"
        for name, tree in _sources()
        if name not in SLEEPS_ALLOWED
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "sleep")
            or (isinstance(node.func, ast.Name) and node.func.id == "sleep")
        )
    ]
    assert found == [], "wait for the event (tests.helpers.wait_for), not for time to pass"


def test_no_test_accepts_several_statuses():
    found = []
    for name, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In)):
                continue
            left, options = node.left, node.comparators[0]
            about_status = isinstance(left, ast.Attribute) and left.attr in {
                "status_code",
                "status",
            }
            if about_status and isinstance(options, ast.Tuple | ast.List | ast.Set):
                found.append(f"{name}:{node.lineno}")
    assert found == [], "pin the one status the API documents"
