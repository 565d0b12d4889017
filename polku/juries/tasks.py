"""Background jobs of the jury app (run by `manage.py db_worker`)."""

from django.tasks import task


@task()
def lottery_run_execute(*, run_id: int) -> str:
    from polku.juries.models import LotteryRun
    from polku.juries.services import run_execute

    run = LotteryRun.objects.filter(pk=run_id).select_related("jury").first()
    if run is None:
        return "missing"
    return run_execute(run=run).status
