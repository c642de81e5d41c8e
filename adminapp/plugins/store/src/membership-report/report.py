"""Membership report: every space membership of the organization as CSV.

Walks the spaces the job's owner can see (an org OWNER or ADMIN sees them all), sorted by
name, and each space's members page by page through the SDK; writes one line per
membership to the job's result file. Cells a spreadsheet would take for a formula are
prefixed with a quote.
"""

import csv

COLUMNS = [
    "space_id",
    "space_name",
    "user_id",
    "email",
    "name",
    "account_role",
    "space_role",
    "member_since",
]


def safe(value):
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def role_name(role):
    if role.type == "CUSTOM":
        return f"custom:{role.name or role.id}"
    return str(role.name)


def run(ctx):
    client = ctx.client
    wanted = (ctx.params.get("space_name") or "").casefold()
    spaces = [s for s in client.spaces.all() if wanted in s.name.casefold()]
    rows = 0
    with ctx.result_file() as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for done, space in enumerate(spaces, 1):
            for member in client.spaces.list_users(space.id, limit=100):
                writer.writerow(
                    [
                        space.id,
                        safe(space.name),
                        member.user_id,
                        safe(member.user.email),
                        safe(member.user.name),
                        str(member.account_role),
                        safe(role_name(member.role)),
                        member.created_at.isoformat(),
                    ]
                )
                rows += 1
            ctx.progress(done, len(spaces), f"{space.name[:40]}: {rows} memberships so far")
    return {"spaces": len(spaces), "memberships": rows}
