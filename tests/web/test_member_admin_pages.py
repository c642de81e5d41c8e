"""The dashboard's members administration: the members table sorted and searched (and its
"Load more" keeping the order), a member's page (account, spaces, keys, last sign-in),
deactivate / reactivate and transfer ownership from it, the Organization page's rename form,
and the instance-admin pages (organizations, users) that only instance admins get."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from adminapp.accounts.models import Organization, OrgMembership, User
from tests.factories import PASSWORD, add_member, make_org, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _emails(html: str) -> list[str]:
    return re.findall(r'<div class="muted small">([^<]+@example\.com)</div>', html)


# --- the members table ------------------------------------------------------------------------
def test_the_members_table_sorts_by_a_column_and_searches_names(tenant):
    for user, name in ((tenant.owner, "Zed"), (tenant.admin, "Amy"), (tenant.member, "Mia")):
        user.name = name
        user.save()
    tenant.annotator.name = "Bob Hopper"
    tenant.annotator.save()
    owner = _browser(tenant.owner)
    html = owner.get(reverse("web:members"), {"sort": "name"}).content.decode()
    assert _emails(html) == [
        tenant.admin.email,
        tenant.annotator.email,
        tenant.member.email,
        tenant.owner.email,
    ]
    assert 'aria-sort="ascending"' in html
    html = owner.get(reverse("web:members"), {"sort": "name", "order": "desc"}).content.decode()
    assert _emails(html)[0] == tenant.owner.email and 'aria-sort="descending"' in html
    found = owner.get(reverse("web:members"), {"q": "hopper"}).content.decode()
    assert _emails(found) == [tenant.annotator.email]


def test_load_more_keeps_the_order(tenant):
    for n in range(55):
        add_member(tenant.org, user=make_user(email=f"z{n:02d}@example.com", name=f"N {n:02d}"))
    owner = _browser(tenant.owner)
    first = owner.get(reverse("web:members"), {"sort": "email", "order": "desc"})
    html = first.content.decode()
    assert _emails(html)[:2] == ["z54@example.com", "z53@example.com"]
    more = re.search(r'href="(\?q=&amp;sort=email&amp;order=desc&amp;cursor=[^"]+)"', html)
    assert more, "the Load more link carries the sort"
    rest = owner.get(
        reverse("web:members") + more.group(1).replace("&amp;", "&"),
        **HTMX,
        HTTP_HX_TARGET="members-more",
    ).content.decode()
    assert _emails(rest)[0] == "z04@example.com"


# --- a member's page ---------------------------------------------------------------------------
def test_a_members_page_shows_their_role_spaces_keys_and_last_sign_in(tenant):
    from adminapp.spaces import services as spaces
    from tests.spaces.factories import predefined

    owner = tenant.principal("OWNER")
    space = spaces.space_create(actor=owner, name="Lidar Scans")
    spaces.space_member_set(
        actor=owner, space=space.id, user_id=tenant.member.id, role=predefined("READ_ONLY")
    )
    Client().login(email=tenant.member.email, password=PASSWORD)
    html = _browser(tenant.admin).get(reverse("web:member_detail", args=[tenant.member.id]))
    html = html.content.decode()
    facts = html[html.index('id="member-facts"') :]
    assert "Member" in facts and "Never" not in facts.split("</dl>")[0]  # signed in once
    assert "Lidar Scans" in html and "Read only" in html
    assert 'id="member-keys"' in html  # their personal key (made by the tenant factory)
    assert ">Deactivate</a>" in html
    # A plain member sees only their own page's facts, no actions, no one else's spaces.
    assert (
        _browser(tenant.member)
        .get(reverse("web:member_detail", args=[tenant.admin.id]))
        .status_code
        == 200
    )
    theirs = _browser(tenant.member).get(reverse("web:member_detail", args=[tenant.admin.id]))
    assert "Deactivate" not in theirs.content.decode()
    assert 'id="member-spaces"' not in theirs.content.decode()


def test_a_members_spaces_past_the_first_page_come_with_load_more(tenant, monkeypatch):
    # The page showed a member's first 100 spaces and said so: the rest were out of reach.
    from adminapp.spaces import services as spaces
    from adminapp.web.accounts import views
    from tests.spaces.factories import predefined

    monkeypatch.setattr(views, "SPACES_PER_PAGE", 2)
    owner = tenant.principal("OWNER")
    for n in range(5):
        space = spaces.space_create(actor=owner, name=f"Space {n}")
        spaces.space_member_set(
            actor=owner, space=space.id, user_id=tenant.member.id, role=predefined("READ_ONLY")
        )
    admin = _browser(tenant.admin)
    url = reverse("web:member_detail", args=[tenant.member.id])
    seen: list[str] = []
    html = admin.get(url).content.decode()
    seen += re.findall(r">(Space \d)</a>", html)
    for _ in range(5):  # without JavaScript, the link; with htmx, the rows replace the link's
        more = re.search(
            r'id="member-spaces-more">\s*<td colspan="3">\s*<a [^>]*href="([^"]+)"', html
        )
        if more is None:
            break
        html = admin.get(
            url + more.group(1).replace("&amp;", "&"), **HTMX, HTTP_HX_TARGET="member-spaces-more"
        ).content.decode()
        assert "<html" not in html  # only the rows
        seen += re.findall(r">(Space \d)</a>", html)
    assert sorted(seen) == [f"Space {n}" for n in range(5)]


def test_deactivate_and_reactivate_from_the_members_page(tenant):
    admin = _browser(tenant.admin)
    url = reverse("web:member_deactivate", args=[tenant.member.id])
    confirm = admin.get(url)
    assert "They can no longer sign in" in confirm.content.decode()
    assert User.objects.get(id=tenant.member.id).is_active  # asking changes nothing
    member = _browser(tenant.member)
    assert member.get(reverse("web:overview")).status_code == 200
    done = admin.post(url)
    assert done.status_code == 302
    assert not User.objects.get(id=tenant.member.id).is_active
    # Their open session ends: the next page sends them to sign in.
    assert member.get(reverse("web:overview"))["Location"].startswith(reverse("web:login"))
    page = admin.get(reverse("web:member_detail", args=[tenant.member.id])).content.decode()
    assert "Deactivated" in page and ">Reactivate</a>" in page
    admin.post(reverse("web:member_reactivate", args=[tenant.member.id]))
    assert User.objects.get(id=tenant.member.id).is_active


def test_a_refused_deactivation_says_why_and_changes_nothing(tenant, other_tenant):
    OrgMembership.objects.create(
        organization=other_tenant.org, user=tenant.annotator, account_role="MEMBER"
    )
    response = _browser(tenant.admin).post(
        reverse("web:member_deactivate", args=[tenant.annotator.id]), follow=True
    )
    assert "also belongs to other organizations" in response.content.decode()
    assert User.objects.get(id=tenant.annotator.id).is_active


def test_transfer_ownership_from_the_members_page(tenant):
    owner = _browser(tenant.owner)
    page = owner.get(reverse("web:member_detail", args=[tenant.member.id])).content.decode()
    assert ">Transfer ownership</a>" in page
    owner.post(reverse("web:member_transfer", args=[tenant.member.id]))
    roles = dict(
        OrgMembership.objects.filter(organization=tenant.org).values_list("user_id", "account_role")
    )
    assert roles[tenant.member.id] == "OWNER" and roles[tenant.owner.id] == "ADMIN"
    # Admins never see the button.
    page = _browser(tenant.admin).get(reverse("web:member_detail", args=[tenant.annotator.id]))
    assert "Transfer ownership" not in page.content.decode()


# --- the organization's rename form -------------------------------------------------------------
def test_owners_rename_the_organization_and_errors_show_inline(tenant, other_tenant):
    owner = _browser(tenant.owner)
    assert 'id="org-rename-form"' in owner.get(reverse("web:organization")).content.decode()
    assert (
        'id="org-rename-form"'
        not in _browser(tenant.admin).get(reverse("web:organization")).content.decode()
    )
    taken = owner.post(reverse("web:organization"), {"name": other_tenant.org.name})
    assert taken.status_code == 409
    assert "field__error" in taken.content.decode()
    done = owner.post(reverse("web:organization"), {"name": "Acme Renamed"})
    assert done.status_code == 302
    assert Organization.objects.get(id=tenant.org.id).name == "Acme Renamed"


# --- the instance-admin pages -------------------------------------------------------------------
@pytest.fixture
def root(tenant) -> Client:
    user = add_member(tenant.org, role="MEMBER", user=make_user(superuser=True))
    return _browser(user)


def test_only_instance_admins_get_the_instance_pages_and_their_nav_links(tenant, root):
    pages = [
        reverse("web:instance_organizations"),
        reverse("web:instance_users"),
        reverse("web:instance_user", args=[tenant.member.id]),
    ]
    owner = _browser(tenant.owner)
    for url in pages:
        assert owner.get(url).status_code == 403
        assert root.get(url).status_code == 200
    # One "Instance" link in the nav; its sections are tabs on every instance page.
    assert reverse("web:operations") in root.get(reverse("web:overview")).content.decode()
    assert reverse("web:operations") not in owner.get(reverse("web:overview")).content.decode()
    tabs = root.get(reverse("web:operations")).content.decode()
    assert pages[0] in tabs and pages[1] in tabs


def test_an_instance_admin_creates_an_organization_and_sees_it_listed(tenant, root):
    bad = root.post(
        reverse("web:instance_organizations"), {"name": "Nu", "owner_email": "not-an-email"}
    )
    assert bad.status_code == 422 and "Enter a valid email address." in bad.content.decode()
    done = root.post(
        reverse("web:instance_organizations"),
        {"name": "Omicron", "owner_email": tenant.member.email},
    )
    assert done.status_code == 302
    org = Organization.objects.get(name="Omicron")
    html = root.get(reverse("web:instance_organizations"), {"q": "omic"}).content.decode()
    assert f'id="org-{org.id}"' in html and "Omicron" in html
    assert f'id="org-{tenant.org.id}"' not in html


def test_an_instance_admin_searches_users_and_deactivates_one(tenant, root):
    html = root.get(reverse("web:instance_users"), {"q": tenant.admin.email}).content.decode()
    assert f'id="user-{tenant.admin.id}"' in html
    assert f'id="user-{tenant.member.id}"' not in html
    page = root.get(reverse("web:instance_user", args=[tenant.admin.id])).content.decode()
    assert tenant.org.name in page and "Admin" in page
    root.post(reverse("web:instance_user_deactivate", args=[tenant.admin.id]))
    assert not User.objects.get(id=tenant.admin.id).is_active
    refused = root.post(
        reverse("web:instance_user_deactivate", args=[tenant.owner.id]), follow=True
    )
    assert "last owner" in refused.content.decode()
    assert User.objects.get(id=tenant.owner.id).is_active


@pytest.mark.parametrize(
    ("url", "name", "make", "nothing"),
    [
        (
            "web:instance_organizations",
            "orgs",
            lambda n: make_org(name=f"Zeta {n:02d}"),
            "No organization matches",
        ),
        (
            "web:instance_users",
            "users",
            lambda n: make_user(email=f"zeta{n:02d}@example.com"),
            "No user matches",
        ),
    ],
)
def test_the_instance_lists_search_in_place_and_load_more(root, url, name, make, nothing):
    made = [make(n) for n in range(55)]
    found = root.get(reverse(url), {"q": "zeta"}, **HTMX, HTTP_HX_TARGET=f"{name}-results")
    html = found.content.decode()
    # Only the results region: the table with its header and the first page, then "Load more".
    assert html.lstrip().startswith(f'<div id="{name}-results">')
    assert 'class="page-header"' not in html and f'id="{name}-table"' in html
    assert html.count("<tr id=") == 50 and f'id="{name}-more"' in html
    more = re.search(r'href="(\?q=zeta&amp;cursor=[^"]+)"', html)
    assert more, "the Load more link keeps the search"
    rest = root.get(
        reverse(url) + more.group(1).replace("&amp;", "&"), **HTMX, HTTP_HX_TARGET=f"{name}-more"
    ).content.decode()
    # The next rows alone (no table around them), and no more "Load more" after the last.
    assert rest.lstrip().startswith("<tr id=") and "<thead>" not in rest
    assert rest.count("<tr id=") == 5 and f'id="{name}-more"' not in rest
    shown = {m for m in re.findall(r'<tr id="[a-z]+-([^"]+)"', html + rest)}
    assert shown == {item.id for item in made}
    none = root.get(reverse(url), {"q": "nobody-here"}, **HTMX, HTTP_HX_TARGET=f"{name}-results")
    assert f"{nothing} “nobody-here”" in none.content.decode()
    # Without JavaScript: the whole page, the search form, the same rows.
    page = root.get(reverse(url), {"q": "zeta"}).content.decode()
    assert 'role="search"' in page and f'id="{name}-results"' in page
    assert page.count("<tr id=") == 50
