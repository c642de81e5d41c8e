"""The spaces pages as a browser without JavaScript (and as htmx) sees them: Django's test
client against the real views, the in-process SDK and the API behind it. Nothing is mocked."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from adminapp.jobs.models import Job
from adminapp.spaces import services
from adminapp.spaces.models import Space, SpaceMembership, SpaceRole, SpaceToken
from tests.factories import add_member
from tests.spaces.factories import custom, join, make_space, make_token, predefined

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def hx(target: str) -> dict[str, str]:
    """The headers htmx sends when it swaps the element with id ``target``."""
    return {**HTMX, "HTTP_HX_TARGET": target}


TOKEN_RE = re.compile(r"spt_[A-Za-z0-9_\-]{20,}")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(tenant) -> Client:
    return client_for(tenant.owner)


@pytest.fixture
def space(tenant) -> Space:
    return make_space(tenant, "Research", description="Robot arm experiments")


def html_of(response) -> str:
    return response.content.decode()


def main_of(html: str) -> str:
    """The page's <main>, without the layout (whose org switcher is a <select> too)."""
    return re.search(r"<main.*?</main>", html, re.S).group(0)


def rows(html: str, kind: str) -> list[str]:
    """The ids of the table rows of a kind (``space``, ``member``, ``token``, ``role``)."""
    return re.findall(rf'<tr id="{kind}-([^"]+)"', html)


def url(name: str, *args) -> str:
    return reverse(f"web:{name}", args=args)


# --- the spaces list ------------------------------------------------------------------------
def test_the_list_shows_spaces_newest_first_and_links_to_each(owner_client, tenant):
    first = make_space(tenant, "Alpha")
    second = make_space(tenant, "Beta", description="Second one")
    html = html_of(owner_client.get(url("spaces")))
    assert rows(html, "space") == [second.id, first.id]
    assert f'href="{url("space_detail", second.id)}"' in html
    assert "Second one" in html
    assert 'id="space-create"' in html  # an admin may create


def test_an_org_without_spaces_shows_an_empty_state(owner_client):
    html = html_of(owner_client.get(url("spaces")))
    assert "No spaces yet — create the first one" in html
    assert "<table" not in html


def test_search_is_a_case_insensitive_substring_and_a_partial_for_htmx(owner_client, tenant):
    robot = make_space(tenant, "Robot Arms")
    make_space(tenant, "Warehouse")
    page = html_of(owner_client.get(url("spaces") + "?q=arm"))
    assert rows(page, "space") == [robot.id]
    assert 'value="arm"' in page  # the plain GET form keeps what was typed
    # As you type: htmx asks for the results only.
    partial = owner_client.get(url("spaces") + "?q=ROBOT", HTTP_HX_TARGET="space-results", **HTMX)
    html = html_of(partial)
    assert html.lstrip().startswith('<div id="space-results"')
    assert "<html" not in html and "space-create" not in html
    assert rows(html, "space") == [robot.id]
    none = html_of(owner_client.get(url("spaces") + "?q=nothing-like-it"))
    assert "No space matches “nothing-like-it”" in none


def test_the_search_box_is_debounced_and_pushes_the_url(owner_client):
    html = html_of(owner_client.get(url("spaces")))
    box = re.search(r'<input id="space-q"[^>]*>', html, re.S).group(0)
    assert 'hx-trigger="input changed delay:300ms, search"' in box
    assert 'hx-target="#space-results"' in box and 'hx-push-url="true"' in box
    assert 'name="q"' in box
    assert re.search(r'<form class="search" method="get" action="/spaces/"', html)


def test_load_more_appends_the_next_rows_by_cursor(owner_client, tenant):
    made = [make_space(tenant, f"Space {i:02}") for i in range(55)]
    page = html_of(owner_client.get(url("spaces") + "?q=space"))
    assert len(rows(page, "space")) == 50
    next_url = re.search(r'hx-get="(\?q=space&amp;cursor=[^"]+)"', page).group(1)
    more = owner_client.get(url("spaces") + next_url.replace("&amp;", "&"), **hx("spaces-more"))
    html = html_of(more)
    assert "<html" not in html and "<table" not in html
    assert rows(html, "space") == [s.id for s in reversed(made[:5])]
    assert "Load more" not in html


# --- create ---------------------------------------------------------------------------------
def test_create_inline_returns_the_list_with_the_new_space_on_top(owner_client, tenant):
    make_space(tenant, "Older")
    response = owner_client.post(
        url("spaces"),
        {"create-name": "  Fresh  ", "create-description": "new"},
        **hx("spaces-content"),
    )
    assert response.status_code == 201
    html = html_of(response)
    assert html.lstrip().startswith('<div id="spaces-content"')
    created = Space.objects.get(name="Fresh")
    assert rows(html, "space")[0] == created.id
    assert f'<tr id="space-{created.id}" class="row--new">' in html
    assert "Created the space “Fresh”." in html  # the toast, out of band
    assert 'hx-swap-oob="beforeend"' in html


def test_create_without_javascript_goes_to_the_new_space(owner_client):
    response = owner_client.post(url("spaces"), {"create-name": "Plain"})
    created = Space.objects.get(name="Plain")
    assert response.status_code == 302 and response.url == url("space_detail", created.id)


def test_a_duplicate_name_is_an_inline_409_whatever_its_case(owner_client, tenant):
    make_space(tenant, "Research")
    response = owner_client.post(url("spaces"), {"create-name": "RESEARCH"}, **hx("spaces-content"))
    assert response.status_code == 409
    assert response["X-Dashboard-Partial"] == "1"
    html = html_of(response)
    assert re.search(r'field--invalid[^>]*>\s*<label for="id_create-name"', html)
    assert "A space with this name already exists." in html
    assert 'value="RESEARCH"' in html  # what was typed stays in the field
    assert Space.objects.filter(organization=tenant.org).count() == 1


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_or_blank_name_is_an_inline_422(owner_client, tenant, name):
    response = owner_client.post(url("spaces"), {"create-name": name})
    assert response.status_code == 422
    html = html_of(response)
    assert re.search(r'field--invalid[^>]*>\s*<label for="id_create-name"', html)
    assert "This field is required." in html
    assert not Space.objects.filter(organization=tenant.org).exists()


# --- rename / describe ----------------------------------------------------------------------
def test_inline_edit_swaps_a_row_for_a_form_and_back(owner_client, space):
    form = owner_client.get(url("space_edit", space.id), **hx(f"space-{space.id}"))
    html = html_of(form)
    assert html.lstrip().startswith(f'<tr id="space-{space.id}" class="row--form">')
    assert 'value="Research"' in html and "Robot arm experiments" in html
    cancel = html_of(owner_client.get(url("space_row", space.id), **hx(f"space-{space.id}")))
    assert cancel.lstrip().startswith(f'<tr id="space-{space.id}">')

    saved = owner_client.post(
        url("space_edit", space.id),
        {"name": "Research Lab", "description": "Arms and grippers"},
        **hx(f"space-{space.id}"),
    )
    assert saved.status_code == 200
    html = html_of(saved)
    assert html.lstrip().startswith(f'<tr id="space-{space.id}">')
    assert "Research Lab" in html and "Arms and grippers" in html
    space.refresh_from_db()
    assert (space.name, space.description) == ("Research Lab", "Arms and grippers")


def test_renaming_to_a_taken_name_shows_the_error_in_the_row(owner_client, tenant, space):
    make_space(tenant, "Taken")
    response = owner_client.post(
        url("space_edit", space.id), {"name": "taken", "description": ""}, **hx(f"space-{space.id}")
    )
    assert response.status_code == 409
    html = html_of(response)
    assert html.lstrip().startswith(f'<tr id="space-{space.id}" class="row--form">')
    assert "A space with this name already exists." in html
    space.refresh_from_db()
    assert space.name == "Research"


def test_edit_on_the_space_page_without_javascript(owner_client, space):
    assert owner_client.get(url("space_edit", space.id)).url == (
        url("space_detail", space.id) + "#settings"
    )
    response = owner_client.post(
        url("space_edit", space.id), {"name": "Renamed", "description": "d"}
    )
    assert response.status_code == 302 and response.url == url("space_detail", space.id)
    page = html_of(owner_client.get(response.url))
    assert "<h1>Renamed</h1>" in page and "Saved the space “Renamed”." in page
    blank = owner_client.post(url("space_edit", space.id), {"name": " "})
    assert blank.status_code == 422
    assert "This field is required." in html_of(blank) and "<nav" in html_of(blank)


# --- delete -----------------------------------------------------------------------------------
def test_delete_needs_the_typed_name(owner_client, space):
    confirm = owner_client.get(url("space_delete", space.id), **hx(f"space-{space.id}"))
    html = html_of(confirm)
    assert html.lstrip().startswith(f'<tr id="space-{space.id}" class="row--form row--danger">')
    assert 'data-confirm-text="Research"' in html

    wrong = owner_client.post(
        url("space_delete", space.id), {"confirm_name": "research"}, **hx(f"space-{space.id}")
    )
    assert wrong.status_code == 422
    assert "Type the space’s name exactly" in html_of(wrong)
    space.refresh_from_db()
    assert space.deleted_at is None
    assert not Job.objects.filter(kind="space_delete").exists()


def test_delete_with_the_typed_name_hides_the_space_and_links_the_job(owner_client, space):
    response = owner_client.post(
        url("space_delete", space.id),
        {"confirm_name": "Research", "idempotency_key": "k" * 32},
        **hx(f"space-{space.id}"),
    )
    assert response.status_code == 200
    job = Job.objects.get(kind="space_delete")
    html = html_of(response)
    assert "<tr" not in html  # the row goes
    assert "Deleted “Research”." in html
    assert f'<a href="{url("job_detail", job.id)}">follow the job</a>' in html  # a real link
    assert space.id not in html_of(owner_client.get(url("spaces")))
    assert owner_client.get(url("space_detail", space.id)).status_code == 404


def test_delete_without_javascript_is_a_page_with_the_typed_name(owner_client, space):
    page = owner_client.get(url("space_delete", space.id))
    assert page.status_code == 200
    html = html_of(page)
    assert "<nav" in html and 'name="confirm_name"' in html
    assert owner_client.post(url("space_delete", space.id), {"confirm_name": ""}).status_code == 422
    response = owner_client.post(url("space_delete", space.id), {"confirm_name": "Research"})
    assert response.status_code == 302 and response.url == url("spaces")
    listing = html_of(owner_client.get(response.url))
    assert "Deleted “Research”." in listing and space.id not in rows(listing, "space")


def test_delete_from_the_space_page_goes_back_to_the_list(owner_client, space):
    response = owner_client.post(
        url("space_delete", space.id), {"confirm_name": "Research"}, **hx("space-danger")
    )
    assert response["HX-Redirect"] == url("spaces")
    wrong = owner_client.post(
        url("space_delete", space.id), {"confirm_name": "Nope"}, **hx("space-danger")
    )
    assert wrong.status_code == 404  # already gone


# --- members ----------------------------------------------------------------------------------
def test_the_space_page_shows_members_with_role_selects_and_a_picker(owner_client, tenant, space):
    join(tenant, space, tenant.member, predefined("MEMBER"))
    role = services.space_role_create(
        actor=tenant.principal(), name="Curator", permissions=["dataset.read"]
    )
    html = html_of(owner_client.get(url("space_detail", space.id)))
    assert rows(html, "member") == [tenant.member.id]
    select = re.search(rf'<select id="space-role-{tenant.member.id}".*?</select>', html, re.S)
    assert '<option value="MEMBER" selected>' in select.group(0)
    assert f'<option value="custom:{role.id}">Curator</option>' in select.group(0)
    picker = offered(html)
    assert tenant.admin.id in picker and tenant.annotator.id in picker
    assert tenant.member.id not in picker  # already in the space
    assert 'hx-trigger="change"' in html


def offered(html: str) -> list[str]:
    """The people the add-member typeahead offers (its radio buttons' user ids)."""
    options = re.search(r'<fieldset id="person-options".*?</fieldset>', html, re.S).group(0)
    return re.findall(r'<input type="radio" name="user_id" value="([^"]+)"', options)


def test_the_person_typeahead_searches_names_and_emails_as_one_types(owner_client, tenant, space):
    from tests.factories import add_member

    tenant.admin.name = "Grace Hopper"
    tenant.admin.save(update_fields=["name"])
    crowd = [add_member(tenant.org) for _ in range(12)]  # more than the typeahead shows
    page = html_of(owner_client.get(url("space_detail", space.id)))
    assert len(offered(page)) == 10 and "More people match" in page
    assert 'hx-get="/spaces/' in page and 'hx-target="#person-options"' in page

    # htmx asks for the matches only: the fieldset, nothing around it.
    partial = owner_client.get(
        url("space_detail", space.id), {"person": "hopper"}, **hx("person-options")
    )
    body = html_of(partial)
    assert body.lstrip().startswith('<fieldset id="person-options"')
    assert "<nav" not in body and 'id="members-panel"' not in body
    assert offered(body) == [tenant.admin.id]
    assert "Grace Hopper — " in body and "More people match" not in body

    by_email = owner_client.get(
        url("space_detail", space.id), {"person": crowd[11].email.upper()}, **hx("person-options")
    )
    assert offered(html_of(by_email)) == [crowd[11].id]

    nobody = owner_client.get(
        url("space_detail", space.id), {"person": "zz-nobody"}, **hx("person-options")
    )
    assert offered(html_of(nobody)) == []
    assert "No one else in the organization matches “zz-nobody”." in html_of(nobody)


def test_without_javascript_the_person_search_is_a_get_of_the_page(owner_client, tenant, space):
    tenant.admin.name = "Grace Hopper"
    tenant.admin.save(update_fields=["name"])
    page = html_of(owner_client.get(url("space_detail", space.id), {"person": "grace"}))
    assert "<nav" in page  # the whole page
    assert offered(page) == [tenant.admin.id]
    assert 'value="grace"' in page  # the search box keeps what was typed
    # Its own GET form: the CSRF token never goes into the URL.
    search_form = re.search(r'<form id="person-search"[^>]*>', page).group(0)
    assert 'method="get"' in search_form
    assert 'form="person-search"' in page
    # Picking the match and adding works as before.
    response = owner_client.post(
        url("space_member_add", space.id), {"user_id": tenant.admin.id, "role": "MEMBER"}
    )
    assert response.status_code == 302
    assert SpaceMembership.objects.filter(space=space, org_membership__user=tenant.admin).exists()


def test_add_a_member_with_htmx_refreshes_the_members_panel(owner_client, tenant, space):
    response = owner_client.post(
        url("space_member_add", space.id),
        {"user_id": tenant.admin.id, "role": "ADMIN"},
        **hx("members-panel"),
    )
    assert response.status_code == 200
    html = html_of(response)
    assert html.lstrip().startswith('<div id="members-panel"')
    assert rows(html, "member") == [tenant.admin.id]
    assert f"{tenant.admin.email} is Admin in Research." in html
    assert SpaceMembership.objects.get(space=space).role == "ADMIN"


def test_add_a_member_without_javascript(owner_client, tenant, space):
    response = owner_client.post(
        url("space_member_add", space.id), {"user_id": tenant.member.id, "role": "READ_ONLY"}
    )
    assert response.status_code == 302 and response.url == url("space_detail", space.id)
    assert SpaceMembership.objects.get(space=space).role == "READ_ONLY"


def test_the_annotator_rule_is_shown_inline(owner_client, tenant, space):
    response = owner_client.post(
        url("space_member_add", space.id), {"user_id": tenant.annotator.id, "role": "MEMBER"}
    )
    assert response.status_code == 400
    html = html_of(response)
    assert re.search(r'field--invalid[^>]*>\s*<label for="id_role"', html)
    assert "Only ANNOTATOR for an annotator account." in html
    assert not SpaceMembership.objects.filter(space=space).exists()

    # The other direction, from a row's select: the row keeps the role and says why.
    join(tenant, space, tenant.member, predefined("MEMBER"))
    row = owner_client.post(
        url("space_member_role", space.id, tenant.member.id),
        {"role": "ANNOTATOR"},
        **hx(f"member-{tenant.member.id}"),
    )
    assert row.status_code == 400
    html = html_of(row)
    assert html.lstrip().startswith(f'<tr id="member-{tenant.member.id}"')
    assert "only for users with the ANNOTATOR account role" in html
    assert '<option value="MEMBER" selected>' in html
    assert SpaceMembership.objects.get(space=space).role == "MEMBER"


def test_someone_outside_the_org_cannot_be_added(owner_client, other_tenant, space):
    response = owner_client.post(
        url("space_member_add", space.id), {"user_id": other_tenant.member.id, "role": "MEMBER"}
    )
    assert response.status_code == 400
    assert "Not a member of the organization." in html_of(response)
    nobody = owner_client.post(url("space_member_add", space.id), {"role": "MEMBER"})
    assert nobody.status_code == 422
    assert "This field is required." in html_of(nobody)
    assert not SpaceMembership.objects.filter(space=space).exists()


def test_the_role_select_saves_at_once_including_a_custom_role(owner_client, tenant, space):
    join(tenant, space, tenant.member, predefined("MEMBER"))
    role = services.space_role_create(
        actor=tenant.principal(), name="Curator", permissions=["dataset.read", "dataset.write"]
    )
    response = owner_client.post(
        url("space_member_role", space.id, tenant.member.id),
        {"role": f"custom:{role.id}"},
        **hx(f"member-{tenant.member.id}"),
    )
    assert response.status_code == 200
    html = html_of(response)
    assert f'<option value="custom:{role.id}" selected>' in html
    assert "is now Curator here." in html
    membership = SpaceMembership.objects.get(space=space)
    assert (membership.role, membership.custom_role_id) == ("", role.id)
    # Without JavaScript the same form has a Save button and redirects back.
    plain = owner_client.post(
        url("space_member_role", space.id, tenant.member.id), {"role": "READ_ONLY"}
    )
    assert plain.status_code == 302
    assert SpaceMembership.objects.get(space=space).role == "READ_ONLY"


def test_remove_a_member_asks_then_removes(owner_client, tenant, space):
    join(tenant, space, tenant.member, predefined("MEMBER"))
    remove = url("space_member_remove", space.id, tenant.member.id)
    confirm = html_of(owner_client.get(remove))
    assert f"Remove {tenant.member.email} from Research?" in confirm
    assert SpaceMembership.objects.filter(space=space).exists()
    response = owner_client.post(
        remove, {"email": tenant.member.email}, **hx(f"member-{tenant.member.id}")
    )
    assert response.status_code == 200
    assert "<tr" not in html_of(response)
    assert f"Removed {tenant.member.email} from Research." in html_of(response)
    assert not SpaceMembership.objects.filter(space=space).exists()
    again = owner_client.post(remove, **hx(f"member-{tenant.member.id}"))
    assert again.status_code == 404 and again["HX-Retarget"] == "#toasts"


def test_members_load_more(owner_client, tenant, space):
    people = [add_member(tenant.org) for _ in range(52)]
    for person in people:
        join(tenant, space, person, predefined("MEMBER"))
    page = html_of(owner_client.get(url("space_detail", space.id)))
    assert len(rows(page, "member")) == 50
    cursor = re.search(r'hx-get="\?members_cursor=([^"]+)"', page).group(1)
    more = owner_client.get(
        url("space_detail", space.id) + f"?members_cursor={cursor}", **hx("members-more")
    )
    html = html_of(more)
    assert "<html" not in html and "<table" not in html
    assert rows(html, "member") == [p.id for p in people[50:]]


# --- tokens -----------------------------------------------------------------------------------
def test_a_token_secret_is_shown_exactly_once(owner_client, space):
    response = owner_client.post(
        url("space_token_create", space.id),
        {"label": "Uploader", "permanent": "true", "role": "MEMBER"},
        **hx("tokens-panel"),
    )
    assert response.status_code == 201
    html = html_of(response)
    assert html.lstrip().startswith('<div id="tokens-panel"')
    secrets = set(TOKEN_RE.findall(html))
    assert len(secrets) == 1
    secret = secrets.pop()
    assert "will not be shown again" in html and 'hx-history="false"' in html
    assert "no-store" in response["Cache-Control"]
    token = SpaceToken.objects.get(label="Uploader")
    assert token.permanent and secret.startswith(token.display_prefix)
    # It works, for this space only.
    api = Client().get(f"/api/v1/spaces/{space.id}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 200
    # Never again.
    again = html_of(owner_client.get(url("space_detail", space.id)))
    assert "Uploader" in again and secret not in again
    assert secret not in str(dict(owner_client.session))


def test_a_temporary_token_without_javascript_and_the_list_shows_its_status(owner_client, space):
    response = owner_client.post(
        url("space_token_create", space.id), {"label": "Notebook", "permanent": "false"}
    )
    assert response.status_code == 201
    assert "<nav" in html_of(response) and TOKEN_RE.search(html_of(response))
    token = SpaceToken.objects.get(label="Notebook")
    assert not token.permanent and token.expires_at is not None
    row = re.search(rf'<tr id="token-{token.id}">.*?</tr>', html_of(response), re.S).group(0)
    assert "Temporary" in row and "Active" in row


def test_the_sixth_permanent_token_is_refused_inline(owner_client, tenant, space):
    for i in range(5):
        make_token(tenant, space, label=f"bot {i}", permanent=True)
    response = owner_client.post(
        url("space_token_create", space.id),
        {"label": "sixth", "permanent": "true"},
        **hx("tokens-panel"),
    )
    assert response.status_code == 409
    html = html_of(response)
    assert "At most 5 active." in html
    assert not TOKEN_RE.search(html)
    assert not SpaceToken.objects.filter(label="sixth").exists()


def test_deactivate_and_delete_one_token(owner_client, tenant, space):
    token, _ = make_token(tenant, space, label="bot")
    deactivated = owner_client.post(
        url("space_token_deactivate", space.id, token.id), **hx(f"token-{token.id}")
    )
    assert deactivated.status_code == 200
    html = html_of(deactivated)
    assert html.lstrip().startswith(f'<tr id="token-{token.id}">')
    assert "Deactivated" in html and ">Deactivate</a>" not in html
    token.refresh_from_db()
    assert token.is_active is False
    confirm = html_of(owner_client.get(url("space_token_delete", space.id, token.id)))
    assert "Delete “bot”" in confirm
    deleted = owner_client.post(url("space_token_delete", space.id, token.id))
    assert deleted.status_code == 302
    assert not SpaceToken.objects.filter(id=token.id).exists()


@pytest.mark.parametrize(
    ("which", "left"),
    [("all", set()), ("permanent", {"temp"}), ("temporary", {"perm"})],
)
def test_delete_all_or_only_one_kind_of_token(owner_client, tenant, space, which, left):
    make_token(tenant, space, label="perm", permanent=True)
    make_token(tenant, space, label="temp")
    confirm = html_of(owner_client.get(url("space_tokens_delete", space.id) + f"?which={which}"))
    assert f'name="which" value="{which}"' in confirm  # a confirmation page without JavaScript
    assert SpaceToken.objects.filter(space=space).count() == 2
    response = owner_client.post(
        url("space_tokens_delete", space.id), {"which": which}, **hx("tokens-panel")
    )
    assert response.status_code == 200
    assert html_of(response).lstrip().startswith('<div id="tokens-panel"')
    assert set(SpaceToken.objects.filter(space=space).values_list("label", flat=True)) == left


# --- custom roles -----------------------------------------------------------------------------
def test_create_a_custom_role_from_the_permission_checkboxes(owner_client, tenant):
    page = html_of(owner_client.get(url("roles")))
    for name in ("space.update", "member.manage", "token.manage", "dataset.write"):
        assert f'name="permissions" value="{name}"' in page
    response = owner_client.post(
        url("roles"),
        {"name": "Curator", "permissions": ["dataset.read", "dataset.write"]},
        **hx("roles-content"),
    )
    assert response.status_code == 201
    role = SpaceRole.objects.get(organization=tenant.org, name="Curator")
    assert role.permissions == ["dataset.read", "dataset.write"]
    assert rows(html_of(response), "role") == [role.id]


def test_role_name_errors_are_inline(owner_client, tenant):
    services.space_role_create(actor=tenant.principal(), name="Curator", permissions=[])
    taken = owner_client.post(url("roles"), {"name": "curator"}, **hx("roles-content"))
    assert taken.status_code == 409
    assert "A role with this name already exists." in html_of(taken)
    predefined_name = owner_client.post(url("roles"), {"name": "Read only"})
    assert predefined_name.status_code == 422
    assert "Same as a predefined role." in html_of(predefined_name)
    assert SpaceRole.objects.filter(organization=tenant.org).count() == 1


def test_edit_a_role(owner_client, tenant):
    role = services.space_role_create(
        actor=tenant.principal(), name="Curator", permissions=["dataset.read"]
    )
    form = html_of(owner_client.get(url("role_edit", role.id), **hx("role-form")))
    assert form.lstrip().startswith('<section id="role-form"')
    assert "Edit “Curator”" in form
    assert re.search(r'value="dataset.read" checked', form)
    response = owner_client.post(
        url("role_edit", role.id),
        {"name": "Data Curator", "permissions": ["dataset.read", "member.read"]},
        **hx("roles-content"),
    )
    assert response.status_code == 200
    role.refresh_from_db()
    assert (role.name, role.permissions) == ("Data Curator", ["dataset.read", "member.read"])
    # Without JavaScript the edit link is the roles page with the form in edit mode.
    page = html_of(owner_client.get(url("role_edit", role.id)))
    assert "<nav" in page and "Edit “Data Curator”" in page


def test_a_role_in_use_cannot_be_deleted_and_says_so_in_its_row(owner_client, tenant, space):
    role = services.space_role_create(
        actor=tenant.principal(), name="Curator", permissions=["dataset.read"]
    )
    join(tenant, space, tenant.member, custom(role))
    response = owner_client.post(url("role_delete", role.id), **hx(f"role-{role.id}"))
    assert response.status_code == 409
    html = html_of(response)
    assert html.lstrip().startswith(f'<tr id="role-{role.id}"')
    assert "used by 1 space membership" in html
    page = owner_client.post(url("role_delete", role.id))  # without JavaScript: the page
    assert page.status_code == 409 and "used by 1 space membership" in html_of(page)
    assert SpaceRole.objects.filter(id=role.id).exists()

    SpaceMembership.objects.filter(custom_role=role).delete()
    gone = owner_client.post(url("role_delete", role.id), **hx(f"role-{role.id}"))
    assert gone.status_code == 200 and "Deleted the role “Curator”." in html_of(gone)
    assert not SpaceRole.objects.filter(id=role.id).exists()


# --- who sees which controls --------------------------------------------------------------------
def test_a_read_only_member_sees_the_pages_without_controls(tenant, space):
    other = make_space(tenant, "Not mine")
    join(tenant, space, tenant.member, predefined("READ_ONLY"))
    make_token(tenant, space, label="Uploader bot")
    reader = client_for(tenant.member)

    listing = html_of(reader.get(url("spaces")))
    assert rows(listing, "space") == [space.id]  # only the spaces they are in
    assert other.id not in listing
    assert "space-create" not in listing
    assert (
        url("space_edit", space.id) not in listing and url("space_delete", space.id) not in listing
    )

    detail = main_of(html_of(reader.get(url("space_detail", space.id))))
    assert rows(detail, "member") == [tenant.member.id]  # members are visible
    assert "View only" in detail
    for control in (
        "<select",
        "Remove",
        "member-add",
        "tokens-panel",
        "token-create",
        'id="settings"',
        "space-danger",
        "confirm_name",
        "Uploader bot",
    ):
        assert control not in detail, control

    roles = html_of(reader.get(url("roles")))
    assert "role-form" not in roles and "Delete" not in roles
    assert url("roles") not in re.search(r'<nav class="nav".*?</nav>', listing, re.S).group(0)


def test_a_read_only_member_is_refused_when_forging_the_forms(tenant, space):
    join(tenant, space, tenant.member, predefined("READ_ONLY"))
    reader = client_for(tenant.member)
    attempts = [
        (url("spaces"), {"create-name": "Mine"}),
        (url("space_edit", space.id), {"name": "Hacked"}),
        (url("space_delete", space.id), {"confirm_name": "Research"}),
        (url("space_member_add", space.id), {"user_id": tenant.admin.id, "role": "ADMIN"}),
        (url("space_token_create", space.id), {"label": "x", "permanent": "false"}),
        (url("space_member_role", space.id, tenant.member.id), {"role": "ADMIN"}),
        (url("roles"), {"name": "Mine"}),
    ]
    for path, data in attempts:
        response = reader.post(path, data)
        assert response.status_code == 403, (path, response.status_code)
        assert "Your role cannot do this" in html_of(response)  # said, not silently dropped
    toast = reader.post(url("space_token_create", space.id), {"label": "x"}, **hx("tokens-panel"))
    assert toast.status_code == 403 and toast["HX-Retarget"] == "#toasts"
    space.refresh_from_db()
    assert (space.name, space.deleted_at) == ("Research", None)
    assert SpaceMembership.objects.get(space=space).role == "READ_ONLY"
    assert not SpaceToken.objects.exists() and not SpaceRole.objects.exists()
    assert not Space.objects.filter(name="Mine").exists()


def test_a_space_admin_who_is_an_org_member_manages_their_space(tenant, space):
    join(tenant, space, tenant.member, predefined("ADMIN"))
    html = html_of(client_for(tenant.member).get(url("space_detail", space.id)))
    assert "member-add" in html and "tokens-panel" in html and "space-danger" in html
    listing = html_of(client_for(tenant.member).get(url("spaces")))
    assert "space-create" not in listing  # creating spaces is for org admins


def test_granting_a_role_above_your_own_is_refused_next_to_the_form(tenant, space):
    manager_role = services.space_role_create(
        actor=tenant.principal(),
        name="People manager",
        permissions=["dataset.read", "member.manage", "member.read"],
    )
    manager = add_member(tenant.org)
    join(tenant, space, manager, custom(manager_role))
    client = client_for(manager)
    page = main_of(html_of(client.get(url("space_detail", space.id))))
    assert "member-add" in page and "tokens-panel" not in page  # no token.manage
    response = client.post(
        url("space_member_add", space.id),
        {"user_id": tenant.member.id, "role": "ADMIN"},
        **hx("members-panel"),
    )
    assert response.status_code == 403
    html = html_of(response)
    assert html.lstrip().startswith('<div id="members-panel"')
    assert "You cannot grant or change a role with permissions you do not have" in html
    assert not SpaceMembership.objects.filter(space=space, org_membership__user=tenant.member)
    ok = client.post(
        url("space_member_add", space.id), {"user_id": tenant.member.id, "role": "READ_ONLY"}
    )
    assert ok.status_code == 302


def test_spaces_of_another_org_or_not_joined_are_not_found(tenant, other_tenant, space):
    foreign = make_space(other_tenant, "Foreign")
    owner = client_for(tenant.owner)
    assert owner.get(url("space_detail", foreign.id)).status_code == 404
    assert (
        owner.post(url("space_delete", foreign.id), {"confirm_name": "Foreign"}).status_code == 404
    )
    assert client_for(tenant.member).get(url("space_detail", space.id)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.deleted_at is None


# --- plumbing ---------------------------------------------------------------------------------
def test_the_spaces_pages_need_a_signed_in_session(db):
    for path in ("/spaces/", "/roles/", "/spaces/spc_x/"):
        response = Client().get(path)
        assert response.status_code == 302 and response.url.startswith(reverse("web:login"))


def test_posts_without_a_csrf_token_are_refused(tenant, space):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.owner)
    assert client.post(url("spaces"), {"create-name": "Sneaky"}).status_code == 403
    response = client.post(url("space_delete", space.id), {"confirm_name": "Research"})
    assert response.status_code == 403
    assert not Space.objects.filter(name="Sneaky").exists()
    space.refresh_from_db()
    assert space.deleted_at is None
    # htmx sends the token from <body hx-headers>.
    html = html_of(client.get(url("spaces")))
    token = re.search(r'hx-headers=\'\{"x-csrftoken": "([^"]+)"\}\'', html).group(1)
    ok = client.post(
        url("spaces"), {"create-name": "Via htmx"}, HTTP_X_CSRFTOKEN=token, **hx("spaces-content")
    )
    assert ok.status_code == 201


def test_the_nav_links_spaces_and_roles_for_admins(owner_client):
    html = html_of(owner_client.get(url("overview")))
    nav = re.search(r'<nav class="nav".*?</nav>', html, re.S).group(0)
    assert url("spaces") in nav and url("roles") in nav
