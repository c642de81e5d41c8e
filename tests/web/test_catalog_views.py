"""The catalog pages as a browser without JavaScript (and as htmx) sees them: Django's test
client against the real views, the in-process SDK and the API behind it. Nothing is mocked."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from adminapp.catalog.models import DataRow, Dataset
from adminapp.jobs.models import Job
from tests.catalog.factories import make_dataset, make_rows
from tests.spaces.factories import join, make_space, predefined

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def hx(target: str) -> dict[str, str]:
    return {**HTMX, "HTTP_HX_TARGET": target}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def main_of(response) -> str:
    return re.search(r"<main.*?</main>", response.content.decode(), re.S).group(0)


def row_ids(html: str, kind: str) -> list[str]:
    return re.findall(rf'<tr id="{kind}-([^"]+)"', html)


@pytest.fixture
def space(tenant):
    return make_space(tenant, "Research")


@pytest.fixture
def dataset(space):
    return make_dataset(space=space, name="Camera frames", description="Left arm")


def test_the_space_page_lists_its_datasets_with_their_row_counts(tenant, space, dataset):
    make_rows(dataset=dataset, n=3)
    make_dataset(space=space, name="Depth maps")
    html = main_of(client_for(tenant.owner).get(reverse("web:space_detail", args=[space.id])))
    assert row_ids(html, "dataset") == [
        Dataset.objects.get(name="Depth maps").id,  # newest first
        dataset.id,
    ]
    assert f'href="{reverse("web:dataset_detail", args=[dataset.id])}"' in html
    assert re.search(rf'id="dataset-{dataset.id}".*?<td class="cell-num">3</td>', html, re.S)
    assert 'id="dataset-create"' in html


def test_a_read_only_member_sees_the_datasets_but_no_form_to_create_one(tenant, space, dataset):
    join(tenant, space, tenant.member, predefined("READ_ONLY"))
    html = main_of(client_for(tenant.member).get(reverse("web:space_detail", args=[space.id])))
    assert row_ids(html, "dataset") == [dataset.id]
    assert 'id="dataset-create"' not in html
    page = main_of(client_for(tenant.member).get(reverse("web:dataset_detail", args=[dataset.id])))
    assert 'id="row-add"' not in page and 'id="dataset-danger"' not in page


def test_creating_a_dataset_opens_its_page_and_a_taken_name_is_said_next_to_the_field(
    tenant, space, dataset
):
    client = client_for(tenant.owner)
    url = reverse("web:datasets", args=[space.id])
    response = client.post(url, {"dataset-name": "Grasps", "dataset-description": ""})
    created = Dataset.objects.get(space=space, name="Grasps")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:dataset_detail", args=[created.id])

    response = client.post(url, {"dataset-name": "camera FRAMES"}, **hx("datasets-panel"))
    assert response.status_code == 409
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="datasets-panel"')
    assert re.search(r"field--invalid.*?id_dataset-name.*?field__error", html, re.S)
    assert Dataset.objects.filter(space=space).count() == 2


def test_the_rows_table_searches_by_external_id_key_and_key_prefix(tenant, dataset):
    rows = make_rows(dataset=dataset, n=4, keys=["Frame-1", "frame-2", "other", None])
    DataRow.objects.filter(id=rows[1].id).update(external_id="ext-7")
    client = client_for(tenant.owner)
    url = reverse("web:dataset_detail", args=[dataset.id])

    def shown(**query) -> list[str]:
        response = client.get(url, query, **hx("row-results"))
        assert response.status_code == 200
        return row_ids(response.content.decode(), "row")

    assert sorted(shown()) == sorted(r.id for r in rows)
    assert shown(q="ext-7", match="external_id") == [rows[1].id]
    assert shown(q="FRAME-1", match="global_key") == [rows[0].id]  # keys match in any case
    assert sorted(shown(q="fram", match="global_key_prefix")) == sorted([rows[0].id, rows[1].id])
    assert shown(keyed="no") == [rows[3].id]
    response = client.get(url, {"q": "nothing", "match": "global_key"})
    assert "No row matches" in main_of(response)


def test_load_more_walks_every_row_of_a_big_dataset_once(tenant, dataset):
    rows = make_rows(dataset=dataset, n=120)
    client = client_for(tenant.owner)
    url = reverse("web:dataset_detail", args=[dataset.id])
    html = main_of(client.get(url))
    seen = row_ids(html, "row")
    while match := re.search(r'id="rows-more".*?hx-get="([^"]+)"', html, re.S):
        html = client.get(match.group(1).replace("&amp;", "&"), **hx("rows-more")).content.decode()
        seen += row_ids(html, "row")
    assert sorted(seen) == sorted(r.id for r in rows)
    assert len(seen) == len(set(seen))


def test_adding_a_row_counts_it_and_a_refused_key_is_said_next_to_the_key_field(tenant, dataset):
    make_rows(dataset=dataset, n=1, keys=["taken"])
    client = client_for(tenant.owner)
    url = reverse("web:data_row_add", args=[dataset.id])

    response = client.post(url, {"row_data": "https://x/1.jpg", "global_key": "new-key"})
    assert response.status_code == 302
    assert DataRow.objects.get(global_key="new-key").row_data == "https://x/1.jpg"
    page = main_of(client.get(response["Location"]))
    assert '<span class="badge badge--neutral" id="row-count">2 rows</span>' in page

    response = client.post(
        url, {"row_data": "b", "global_key": "TAKEN"}, **hx("dataset-rows-panel")
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert re.search(
        r"id_global_key.*?field__error[^>]*>[^<]*belongs to another data row", html, re.S
    )

    response = client.post(url, {"row_data": "c", "global_key": " bad key "})
    assert response.status_code == 422
    assert "whitespace" in main_of(response)
    assert Dataset.objects.get(id=dataset.id).row_count == 2


def test_deleting_a_row_frees_its_key_and_asks_first_without_javascript(tenant, dataset):
    (row,) = make_rows(dataset=dataset, n=1, keys=["k-1"])
    client = client_for(tenant.owner)
    url = reverse("web:data_row_delete", args=[row.id])
    confirm = main_of(client.get(url))
    assert "Delete this data row?" in confirm and "k-1" in confirm
    assert DataRow.objects.filter(id=row.id).exists()

    response = client.post(url, **hx(f"row-{row.id}"))
    assert response.status_code == 200
    assert not DataRow.objects.filter(global_key="k-1").exists()
    assert Dataset.objects.get(id=dataset.id).row_count == 0


def test_a_dataset_is_deleted_only_when_its_name_is_typed(tenant, space, dataset):
    make_rows(dataset=dataset, n=3, keys=["a", "b", None])
    client = client_for(tenant.owner)
    url = reverse("web:dataset_delete", args=[dataset.id])

    response = client.post(url, {"confirm_name": "camera frames"}, **hx("dataset-danger"))
    assert response.status_code == 422
    assert "exactly as shown" in response.content.decode()
    assert not Job.objects.filter(kind="dataset_delete").exists()

    response = client.post(url, {"confirm_name": "Camera frames"})
    assert response.status_code == 302
    assert Job.objects.filter(kind="dataset_delete").count() == 1
    html = main_of(client.get(reverse("web:space_detail", args=[space.id])))
    assert dataset.id not in row_ids(html, "dataset")


def test_renaming_a_dataset_keeps_the_name_rules_of_the_api(tenant, space, dataset):
    make_dataset(space=space, name="Depth maps")
    client = client_for(tenant.owner)
    url = reverse("web:dataset_edit", args=[dataset.id])
    response = client.post(
        url, {"edit-name": "DEPTH maps", "edit-description": ""}, **hx("settings")
    )
    assert response.status_code == 409
    assert Dataset.objects.get(id=dataset.id).name == "Camera frames"
    response = client.post(url, {"edit-name": "Frames", "edit-description": "both arms"})
    assert response.status_code == 302
    assert Dataset.objects.get(id=dataset.id).description == "both arms"


def test_another_organizations_dataset_is_not_found(tenant, other_tenant):
    theirs = make_dataset(space=make_space(other_tenant, "Theirs"), name="Secret")
    response = client_for(tenant.owner).get(reverse("web:dataset_detail", args=[theirs.id]))
    assert response.status_code == 404
    assert "Secret" not in response.content.decode()
