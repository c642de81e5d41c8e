from django.db import migrations, models

# A pure function of its arguments (the rule as it stood when this migration was written).
from adminapp.jobs.models import outcome_of


def backfill(apps, schema_editor):
    """Jobs from before owner kinds and outcomes: a key_ owner was a service key, "system"
    the system, anything else a person; finished jobs get the outcome of their state."""
    Job = apps.get_model("jobs", "Job")
    JobItem = apps.get_model("jobs", "JobItem")
    Job.objects.filter(owner_id__startswith="key_").update(
        owner_type="service_key", credential_id=models.F("owner_id")
    )
    Job.objects.filter(owner_id="system").update(owner_type="system")
    for job in Job.objects.filter(state__in=["SUCCEEDED", "FAILED", "ABORTED"]).iterator():
        succeeded = JobItem.objects.filter(job_id=job.id, status="SUCCESS").count()
        failed = JobItem.objects.filter(job_id=job.id, status="ERROR").count()
        Job.objects.filter(id=job.id).update(
            outcome=outcome_of(job.state, succeeded=succeeded, failed=failed),
            items_succeeded=succeeded,
            items_failed=failed,
        )


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="job",
            name="owner_type",
            field=models.CharField(default="user", max_length=16),
        ),
        migrations.AddField(
            model_name="job",
            name="credential_id",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
        migrations.AddField(
            model_name="job",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("SUCCESS", "Success"),
                    ("PARTIAL_SUCCESS", "Partial Success"),
                    ("FAILURE", "Failure"),
                ],
                default="",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="job",
            name="items_succeeded",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="job",
            name="items_failed",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
