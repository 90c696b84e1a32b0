from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from notifications.services import notifications_mail_pending


@db_task()
@lock_task("notifications-mail")
def notifications_mail() -> int:
    return notifications_mail_pending()


@db_periodic_task(crontab(minute="*"))
@lock_task("notifications-mail")
def notifications_mail_retry() -> int:
    """Every minute: mail what the on-commit task did not (a worker was down, SMTP failed)."""
    return notifications_mail_pending()
