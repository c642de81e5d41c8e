from django.db import models

from adminapp.core.models import BaseModel, public_id


class JobState(models.TextChoices):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    ABORTED = "ABORTED"


TERMINAL_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.ABORTED)


class JobOutcome(models.TextChoices):
    """What a finished job achieved, beside how it ended (its state). FAILED is FAILURE;
    otherwise: no item errors is SUCCESS, errors and at least one result PARTIAL_SUCCESS,
    errors and no result FAILURE. An aborted job was cut short: PARTIAL_SUCCESS if it got
    anything done, else FAILURE."""

    SUCCESS = "SUCCESS"
    PARTIAL_SUCCESS = "PARTIAL_SUCCESS"
    FAILURE = "FAILURE"


def outcome_of(state: str, *, succeeded: int, failed: int) -> str | None:
    if state not in TERMINAL_STATES:
        return None
    if state == JobState.FAILED:
        return JobOutcome.FAILURE
    if state == JobState.ABORTED:
        return JobOutcome.PARTIAL_SUCCESS if succeeded else JobOutcome.FAILURE
    if not failed:
        return JobOutcome.SUCCESS
    return JobOutcome.PARTIAL_SUCCESS if succeeded else JobOutcome.FAILURE


class Job(BaseModel):
    """A unit of long work. This row, not the broker, is the source of truth: a task only
    runs it after claiming it (QUEUED → RUNNING by a conditional update)."""

    id = public_id("job")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="jobs"
    )
    kind = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    # The principal that started it (``accounts.principals.OwnerRef``): its kind, its id (the
    # user for people, whether by session or personal key; the key or token for machine
    # principals) and the credential it used, which must still work for the job to go on.
    owner_type = models.CharField(max_length=16, default="user")
    owner_id = models.CharField(max_length=40)
    owner_label = models.CharField(max_length=255, blank=True, default="")
    credential_id = models.CharField(max_length=40, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=128, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")

    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(null=True, blank=True)
    stage = models.CharField(max_length=64, blank=True, default="")
    message = models.CharField(max_length=255, blank=True, default="")
    # Where a re-run continues from; written together with the chunk it describes.
    checkpoint = models.JSONField(default=dict, blank=True)

    outcome = models.CharField(max_length=16, choices=JobOutcome.choices, blank=True, default="")
    items_succeeded = models.BigIntegerField(default=0)
    items_failed = models.BigIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    result_file = models.CharField(max_length=255, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")

    abort_requested = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The process that claimed the current attempt, "<host>:<pid>" (``jobs.workers``): when
    # it is gone from its host, the job is taken up again at once, not after the heartbeat
    # timeout.
    worker = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=JobState.values), name="job_state_valid"
            ),
            # A retried request with the same Idempotency-Key finds the job it started.
            models.UniqueConstraint(
                fields=["organization", "owner_id", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="job_idempotency_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="job_org_time"),
            models.Index(
                fields=["organization", "owner_id", "-created_at", "-id"], name="job_owner_time"
            ),
            models.Index(fields=["state", "created_at"], name="job_state_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.state})"


class JobItemStatus(models.TextChoices):
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"


class JobItem(models.Model):
    """One per-item outcome. The engine numbers them (``seq``) and writes them in the same
    transaction as the chunk they describe and its checkpoint: a chunk and its outcomes are
    recorded exactly once."""

    id = models.BigAutoField(primary_key=True)
    # No index of its own (the unique (job, seq) serves every lookup by job) and no
    # database constraint: items are only written by the engine inside the chunk's
    # transaction, conditional on the claimed job row, and deleted with their job by
    # Django's cascade. Per million items, the two job_id indexes and the deferred
    # foreign-key check at commit cost more than the rows themselves (bench/README, issue 9).
    job = models.ForeignKey(
        Job, on_delete=models.CASCADE, related_name="items", db_index=False, db_constraint=False
    )
    seq = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=JobItemStatus.choices)
    key = models.CharField(max_length=255, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=64, blank=True, default="")
    message = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "seq"], name="job_item_seq_unique"),
        ]
        # Only the errors are indexed beyond (job, seq): a job of a million items writes a
        # million SUCCESS rows, and an index entry each cost a third of writing them (issue 9
        # bench). Successes are read in seq order through the unique index; the errors (the
        # page that filters them, by status or by code) through these partial ones.
        indexes = [
            models.Index(
                fields=["job", "seq"],
                condition=models.Q(status="ERROR"),
                name="job_item_error_seq",
            ),
            models.Index(
                fields=["job", "error_code", "seq"],
                condition=models.Q(status="ERROR"),
                name="job_item_error_code_seq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.seq} {self.status}"


class JobItemBlock(models.Model):
    """Successful outcomes of a run of consecutive seqs, packed into one row.

    A kind that writes its outcomes itself, set-based (the global key jobs: ``Outcomes``),
    may write its successes as blocks — ``items`` is a JSON array of ``[seq, key, data]``,
    up to ``BLOCK_SIZE`` of them — and its errors as ``JobItem`` rows: a job of a million
    keys then writes a thousand rows instead of a million (issue 9 bench: the per-item rows
    were 40% of a lookup). Readers never see the difference: ``jobs.selectors`` merges both
    into one stream of items in seq order. Blocks of one job never overlap in seq, so their
    ``last_seq`` order is seq order. Written in the chunk's transaction like the items."""

    BLOCK_SIZE = 1000

    id = models.BigAutoField(primary_key=True)
    # As for JobItem: no index of its own and no database constraint (deleted with the job
    # by Django's cascade); the unique (job, last_seq) serves every read.
    job = models.ForeignKey(
        Job,
        on_delete=models.CASCADE,
        related_name="item_blocks",
        db_index=False,
        db_constraint=False,
    )
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    size = models.IntegerField()
    items = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "last_seq"], name="job_item_block_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.first_seq}-{self.last_seq} ({self.size})"


class WorkerProbe(models.Model):
    """A worker's mark that it writes result files under ``media_root``: at start it puts
    the file ``<MEDIA_ROOT>/.workers/<token>`` there and this row here. A web process that
    cannot see the file does not share the worker's MEDIA_ROOT, and would answer 404 for the
    files that worker writes (``adminapp.jobs.probes``)."""

    hostname = models.CharField(primary_key=True, max_length=255)
    token = models.CharField(max_length=64)
    media_root = models.CharField(max_length=1024)
    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} -> {self.media_root}"


class ScheduledRun(models.Model):
    """When a periodic task (beat's reaper) last ran: the Operations page's answer to "is
    beat running?"."""

    name = models.CharField(primary_key=True, max_length=64)
    last_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.last_run_at:%Y-%m-%d %H:%M:%S}"
