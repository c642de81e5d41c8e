#!/usr/bin/env python
"""Benchmark: the members list sorted by a column most members share — 100,000 members who
never signed in, all MEMBER, all with the same name — a page 90,000 rows deep in that tie
costs what the first page costs (goal: deep ≤ 1.2× first), for
``GET /api/v1/organizations/{org}/members?sort=…&limit=50`` in three orders (last sign-in,
name, role); plus EXPLAIN ANALYZE of each deep page's query.

    .venv/bin/python bench/member_ties.py

The members are inserted once with generate_series (a few seconds) and kept in the bench
database. Requests are timed in-process through Django's test Client (the full middleware
stack, no socket), 60 of each, interleaved; medians of wall and CPU time compared
(``bench/deep_pages.py``'s method).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _harness as h  # noqa: E402
from bench.deep_pages import GOAL, compare, explain, line  # noqa: E402

MEMBERS = 100_000
DEPTH = 90_000
SORTS = {  # sort → (the cursor's order, the query's index)
    "last_login": (["last_login", False, "user_id"], "user_last_login_sort"),
    "name": (["name", False, "user_id"], "user_name_sort"),
    "role": (["role", False], "org_member_role_sort"),
}


def seed(org_id: str) -> int:
    """``MEMBERS`` tied members in the org (kept from an earlier run if there)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM accounts_orgmembership WHERE organization_id = %s"
            " AND id LIKE 'mem_ties_%%'",
            [org_id],
        )
        if cur.fetchone()[0] >= MEMBERS:
            return 0
        cur.execute(
            """INSERT INTO accounts_user (id, email, name, password, is_superuser, is_active,
                   is_staff, last_login, created_at, updated_at)
               SELECT 'usr_ties_' || lpad(g::text, 7, '0'), 'tie' || g || '@ties.bench.example.com',
                      'Same Name', '!', false, true, false, NULL, now(), now()
               FROM generate_series(1, %s) g ON CONFLICT DO NOTHING""",
            [MEMBERS],
        )
        cur.execute(
            """INSERT INTO accounts_orgmembership (id, organization_id, user_id, account_role,
                   created_at, updated_at)
               SELECT 'mem_ties_' || lpad(g::text, 7, '0'), %s, 'usr_ties_' || lpad(g::text, 7, '0'),
                      'MEMBER', now() - make_interval(secs => g), now()
               FROM generate_series(1, %s) g ON CONFLICT DO NOTHING""",
            [org_id, MEMBERS],
        )
        cur.execute("ANALYZE accounts_user")
        cur.execute("ANALYZE accounts_orgmembership")
    return MEMBERS


def deep_cursor(org_id: str, sort: str, order: list) -> str:
    """The cursor after the ``DEPTH``-th member in ``sort``'s order, as the list makes it."""
    from adminapp.accounts.models import OrgMembership, User
    from adminapp.accounts.selectors import USER_SORTS, _member_sort_key
    from adminapp.core.pagination import encode_sorted_cursor

    if sort in USER_SORTS:
        qs = User.objects.filter(org_memberships__organization_id=org_id)
    else:
        qs = OrgMembership.objects.filter(organization_id=org_id)
    row = (
        qs.annotate(_k=_member_sort_key(sort))
        .order_by("_k", "id")
        .values_list("_k", "id")[DEPTH - 1]
    )
    return encode_sorted_cursor(order, *row)


def page_sql(client, url: str) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return next(q["sql"] for q in ctx.captured_queries if "ORDER BY" in q["sql"])


def main() -> None:
    h.setup_env("member_ties")
    h.django_ready()
    from django.test import Client

    tenant = h.ensure_tenant(slug="bench-member-ties", name="Bench Member Ties")
    seeded = seed(tenant.org_id)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {tenant.api_key}")
    base = f"/api/v1/organizations/{tenant.org_id}/members?limit=50"
    h.header(
        f"member_ties — first page vs a page {DEPTH:,} deep in a tie of {MEMBERS:,} members",
        [
            f"data:   {MEMBERS:,} members never signed in, all MEMBER, one name"
            + (" (seeded now)" if seeded else " (kept from an earlier run)"),
            "timing: in-process Django test Client (full middleware, DEBUG=false), interleaved;"
            " PostgreSQL",
        ],
    )
    results: dict = {}
    for sort, (order, index) in SORTS.items():
        first_url = f"{base}&sort={sort}"
        deep_url = f"{first_url}&cursor={deep_cursor(tenant.org_id, sort, order)}"
        got = api.get(deep_url)
        if got.status_code != 200 or len(got.json()["items"]) != 50:
            raise RuntimeError(f"{deep_url}: HTTP {got.status_code} {got.content[:300]!r}")
        first, deep = compare(api, first_url, deep_url)
        results[sort] = line(sort, first, deep)
        plan = explain(page_sql(api, deep_url))
        sought = any("Index Cond" in row and "ROW(" in row for row in plan)
        used = any(index in row for row in plan) and sought
        verdict = "yes" if used else "NO"
        print(f"  {'':<10} EXPLAIN (deep): {index} sought with a row comparison: {verdict}")
        for row in plan[:8]:
            print("      " + row)
    ok = all(r["ratio"] <= GOAL for r in results.values())
    h.save_result("member_ties", {**results, "goal": f"<= {GOAL}", "met": ok})


if __name__ == "__main__":
    h.main_guard(main)
