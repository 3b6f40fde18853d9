"""Celery tasks of the importer: they take a job's id only (never the file or its rows) and
call `runner`. Both are safe to run twice: an import claims the job's next rows under the
job's row lock, so a second run finds them done, and a check's results are written once; the
sweep only re-enqueues a job whose run has stopped (nothing written for LEASE_SECONDS)."""

from __future__ import annotations

import logging

from celery import shared_task

from . import runner

logger = logging.getLogger(__name__)

__all__ = ["import_patients", "sweep_imports", "enqueue"]


@shared_task(
    name="patients.import_patients",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=runner.RUN_SECONDS,
    time_limit=runner.RUN_SECONDS + 30,
)
def import_patients(job_id: int) -> str:
    """Check every row of one job (its dry run), or import them chunk by chunk once started;
    returns the job's status after the run."""
    return runner.work(job_id)


@shared_task(name="patients.sweep_imports", ignore_result=True, soft_time_limit=60, time_limit=90)
def sweep_imports() -> dict[str, int]:
    """Every 5 minutes from beat: abandon (and delete the file of) uploads nobody imported,
    and re-enqueue imports whose worker stopped half way."""
    found = runner.sweep()
    for job_id in found["resume"]:
        enqueue(job_id)
    return {"abandoned": len(found["abandoned"]), "resumed": len(found["resume"])}


def enqueue(job_id: int) -> None:
    """Publish the import task. A broker that is down must not fail the page: the job stays
    queued and the sweep publishes it again once the lease has passed."""
    try:
        import_patients.apply_async((job_id,), retry=True, retry_policy={"max_retries": 2})
    except Exception as exc:  # the broker's errors vary by transport
        logger.warning("patient import: the broker refused the task (%s)", type(exc).__name__)
