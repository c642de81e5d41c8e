"""Beat's storage task: start the purge of repos deleted longer ago than their grace period
(``services.repos_purge_start``; the purge itself is the ``repo_purge`` job)."""

from celery import shared_task

PURGE_TASK = "adminapp.storage.purge_repos"


@shared_task(name=PURGE_TASK, ignore_result=True)
def purge_repos() -> dict:
    from adminapp.storage.services import repos_purge_start

    return {"started": len(repos_purge_start())}
