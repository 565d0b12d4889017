"""Background jobs of reports (run by `manage.py db_worker`)."""

import logging

from django.tasks import task

from polku.reports import services
from polku.reports.models import ReportJob, WorkshopSummary

logger = logging.getLogger("polku.reports")


@task()
def report_job_run(*, job_id: int) -> int:
    """Make the PDF of a ReportJob, reporting progress on the way. Returns the page count."""
    job = (
        ReportJob.objects.select_related("path__organisation", "workshop_day")
        .filter(pk=job_id)
        .first()
    )
    if job is None or job.status == ReportJob.Status.DONE:
        return 0

    def progress(percent: int, step: str) -> None:
        services.report_job_progress(job=job, progress=percent, step=step)

    from polku.reports.pdf import render_impact_pdf, render_summary_pdf

    progress(5, "start")
    try:
        if job.kind == ReportJob.Kind.SUMMARY and job.workshop_day is not None:
            summary = WorkshopSummary.objects.filter(
                workshop_day=job.workshop_day
            ).first() or services.workshop_summary_generate(workshop_day=job.workshop_day)
            pdf, pages = render_summary_pdf(
                summary=summary, language=job.language, progress=progress
            )
        else:
            pdf, pages = render_impact_pdf(path=job.path, language=job.language, progress=progress)
    except Exception as exc:
        logger.exception("report job %s failed", job_id)
        services.report_job_fail(job=job, error=f"{type(exc).__name__}: {exc}")
        return 0
    services.report_job_finish(job=job, pdf=pdf, page_count=pages)
    return pages
