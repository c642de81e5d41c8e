"""/api/v1/storage: bucket configs and repos. Each endpoint: input schema → service or
selector → output schema. Org OWNERs and ADMINs manage, MEMBERs read; space tokens reach
nothing here (404)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from adminapp.client import types as wire
from adminapp.client.types.common import ErrorBody
from adminapp.core.pagination import PageParams
from adminapp.jobs.schemas import job_out
from adminapp.storage import selectors, services
from adminapp.storage.schemas import bucket_config_out, repo_out, store_object_out

router = Router(tags=["storage"])

NICKNAME = "/bucket-configs/{nickname}"
REPO = "/repos/{name}"


class Confirmation(Schema):
    imsure: bool = Field(False, description="Both must be true to delete.")
    imreallysure: bool = False


class RepoDeleteParams(Confirmation):
    immediate: bool = Field(False, description="Remove now instead of after 7 days.")


class RepoListParams(PageParams):
    deleted: bool = Field(False, description="List the deleted repos awaiting their purge.")


class ObjectListParams(Schema):
    after: str | None = Field(None, max_length=1024, description="next_after of the last page.")
    limit: int = Field(100, ge=1, le=1000)


# --- bucket configs -------------------------------------------------------------------------
@router.get("/bucket-configs", response=wire.BucketConfigPage, summary="List bucket configs")
def list_bucket_configs(request: HttpRequest, params: Query[PageParams]):
    page = selectors.bucket_config_list(
        actor=request.auth, limit=params.limit, cursor=params.cursor
    )
    return params.response([bucket_config_out(c) for c in page.items], page)


@router.post(
    "/bucket-configs",
    response={201: wire.BucketConfig},
    summary="Add a bucket config (no bucket is created; the first one becomes the default)",
)
def create_bucket_config(request: HttpRequest, payload: wire.BucketConfigCreateParams):
    config = services.bucket_config_create(
        actor=request.auth,
        nickname=payload.nickname,
        uri=payload.uri,
        extra_config=payload.extra_config,
        auth_config=payload.auth_config,
    )
    return Status(201, bucket_config_out(config))


@router.get(NICKNAME, response=wire.BucketConfig, summary="Get a bucket config")
def get_bucket_config(request: HttpRequest, nickname: str):
    return bucket_config_out(selectors.bucket_config_get(actor=request.auth, nickname=nickname))


@router.patch(
    NICKNAME,
    response=wire.BucketConfig,
    summary="Change a bucket config (once repos use it, only its nickname)",
)
def update_bucket_config(
    request: HttpRequest, nickname: str, payload: wire.BucketConfigUpdateParams
):
    config = services.bucket_config_update(
        actor=request.auth,
        nickname=nickname,
        new_nickname=payload.nickname,
        uri=payload.uri,
        extra_config=payload.extra_config,
        auth_config=payload.auth_config,
    )
    return bucket_config_out(config)


@router.delete(
    NICKNAME,
    response={204: None},
    summary="Delete a bucket config no repo uses (imsure=true&imreallysure=true)",
)
def delete_bucket_config(request: HttpRequest, nickname: str, params: Query[Confirmation]):
    services.bucket_config_delete(
        actor=request.auth,
        nickname=nickname,
        imsure=params.imsure,
        imreallysure=params.imreallysure,
    )
    return Status(204, None)


@router.post(f"{NICKNAME}/default", response=wire.BucketConfig, summary="Make it the default")
def set_default_bucket_config(request: HttpRequest, nickname: str):
    config = services.bucket_config_set_default(actor=request.auth, nickname=nickname)
    return bucket_config_out(config)


@router.post(
    f"{NICKNAME}/check",
    response={202: wire.Job},
    summary="Check access: a job lists one object with the stored credentials",
    description="The job's result is a BucketCheckResult: ok, or what the store answered.",
)
def check_bucket_config(request: HttpRequest, nickname: str):
    job = services.bucket_config_check(
        actor=request.auth,
        nickname=nickname,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return Status(202, job_out(job, include_result=False))


@router.get(
    f"{NICKNAME}/repos",
    response=wire.RepoPage,
    summary="List the repos using a bucket config (deleted ones awaiting purge included)",
)
def list_bucket_config_repos(request: HttpRequest, nickname: str, params: Query[PageParams]):
    page = selectors.repos_for_bucket_config(
        actor=request.auth, nickname=nickname, limit=params.limit, cursor=params.cursor
    )
    return params.response([repo_out(r) for r in page.items], page)


# --- repos ------------------------------------------------------------------------------------
@router.get("/repos", response=wire.RepoPage, summary="List repos (newest first)")
def list_repos(request: HttpRequest, params: Query[RepoListParams]):
    page = selectors.repo_list(
        actor=request.auth, deleted=params.deleted, limit=params.limit, cursor=params.cursor
    )
    return params.response([repo_out(r) for r in page.items], page)


def _repo_fields(payload: wire.RepoCreateParams) -> dict:
    return dict(
        name=payload.name,
        bucket_config_nickname=payload.bucket_config_nickname,
        kind=payload.kind,
        prefix=payload.prefix,
        description=payload.description,
        metadata=payload.metadata,
    )


@router.post("/repos", response={201: wire.Repo}, summary="Create a repo")
def create_repo(request: HttpRequest, payload: wire.RepoCreateParams):
    repo = services.repo_create(actor=request.auth, **_repo_fields(payload))
    return Status(201, repo_out(repo))


@router.post(
    "/repos/get-or-create",
    response={200: wire.Repo, 201: wire.Repo},
    summary="Get a repo, or create it (201); 409 if its kind, bucket or prefix differ",
)
def get_or_create_repo(request: HttpRequest, payload: wire.RepoCreateParams):
    repo, created = services.repo_get_or_create(actor=request.auth, **_repo_fields(payload))
    return Status(201 if created else 200, repo_out(repo))


@router.get(REPO, response=wire.Repo, summary="Get a repo")
def get_repo(request: HttpRequest, name: str):
    return repo_out(selectors.repo_get(actor=request.auth, name=name))


@router.delete(
    REPO,
    response={204: None},
    summary="Delete a repo: restorable for 7 days unless immediate (its objects stay)",
)
def delete_repo(request: HttpRequest, name: str, params: Query[RepoDeleteParams]):
    services.repo_delete(
        actor=request.auth,
        name=name,
        imsure=params.imsure,
        imreallysure=params.imreallysure,
        immediate=params.immediate,
    )
    return Status(204, None)


@router.post(f"{REPO}/restore", response=wire.Repo, summary="Restore a deleted repo")
def restore_repo(request: HttpRequest, name: str):
    return repo_out(services.repo_restore(actor=request.auth, name=name))


@router.post(
    f"{REPO}/exports",
    response={202: wire.Job},
    summary="Export a dataset's rows as JSONL to <repo prefix>/<object_name>.jsonl (a job)",
)
def export_dataset_to_repo(request: HttpRequest, name: str, payload: wire.RepoExportParams):
    job = services.repo_export_dataset(
        actor=request.auth,
        name=name,
        dataset_id=payload.dataset_id,
        object_name=payload.object_name,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return Status(202, job_out(job, include_result=False))


@router.post(
    f"{REPO}/imports",
    response={202: wire.Job},
    summary="Import data rows from the CSV/JSONL objects under a repo's prefix (a job)",
    description="The job starts one data_rows_import job per object; its items name them.",
)
def import_rows_from_repo(request: HttpRequest, name: str, payload: wire.RepoImportParams):
    job = services.repo_import_rows(
        actor=request.auth,
        name=name,
        dataset_id=payload.dataset_id,
        prefix=payload.prefix,
        on_invalid=payload.on_invalid,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return Status(202, job_out(job, include_result=False))


@router.get(
    f"{REPO}/objects",
    response={200: wire.StoreObjectPage, 409: ErrorBody, 502: ErrorBody},
    summary="Browse the objects under a repo's prefix (key order)",
    description=(
        "409 store_not_supported: the store is not S3 or S3-compatible, or its method is "
        "role-based; 502 store_*: what the store answered (bad credentials, no such bucket, "
        "access denied, unreachable, timeout)."
    ),
)
def list_repo_objects(request: HttpRequest, name: str, params: Query[ObjectListParams]):
    page = selectors.repo_objects(
        actor=request.auth, name=name, after=params.after, limit=params.limit
    )
    items = [store_object_out(o, page.prefix) for o in page.items]
    return wire.StoreObjectPage(
        items=items, has_more=page.has_more, next_after=items[-1].key if page.has_more else None
    )
