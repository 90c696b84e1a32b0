"""The processing task is queued once for whatever is stored while it waits (intake.services.
inbound_trigger): a task processes batches, not one message."""

from datetime import timedelta

import pytest
from django.utils import timezone

from intake import services
from intake.choices import InboundStatus
from intake.models import InboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    """Huey's storage in memory, consumed by nobody: the test looks at what was queued."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import MemoryStorage

    previous = HUEY.storage
    HUEY.storage = MemoryStorage(HUEY.name)
    yield HUEY
    HUEY.storage = previous


def store(count: int, capture) -> None:
    start = InboundMessage.objects.count()
    for n in range(start, start + count):
        with capture(execute=True):
            # an update no bot can read: processing records it failed, which is all these tests need
            services.inbound_store(channel="telegram", source="webhook", raw=b"[1, 2]", dedup_key=f"9:{n}")


def test_messages_stored_while_a_task_waits_queue_no_other(queue, django_capture_on_commit_callbacks):
    # when three messages are stored, each committed on its own
    store(3, django_capture_on_commit_callbacks)

    # then one task waits for all three
    assert [task.name for task in queue.pending()] == ["inbound_process_task"]

    # when that task runs, it processes them all, and a message stored afterwards queues the next
    assert services.inbound_process_queued() == 3
    store(1, django_capture_on_commit_callbacks)
    assert queue.pending_count() == 2
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {
        InboundStatus.FAILED,
        InboundStatus.RECEIVED,
    }


def test_a_full_batch_queues_another_task_at_once_and_the_task_drains_the_backlog(
    queue, django_capture_on_commit_callbacks
):
    # given a backlog of more than two batches, and its one task
    store(2 * services.BATCH_SIZE + 5, django_capture_on_commit_callbacks)
    assert queue.pending_count() == 1

    # when the task runs: its full batches queue another task (for another worker; one waits at
    # most), and it goes on with the next batch until one is not full
    assert services.inbound_process_queued() == 2 * services.BATCH_SIZE + 5

    # then
    assert queue.pending_count() == 2  # its own, done, and the one for another worker
    assert not InboundMessage.objects.filter(status=InboundStatus.RECEIVED).exists()


def test_a_task_past_its_draining_time_leaves_the_rest_to_the_task_it_queued(queue, django_capture_on_commit_callbacks):
    # given a backlog of more than one batch
    store(services.BATCH_SIZE + 5, django_capture_on_commit_callbacks)
    queue.flush()

    # when a task with no time to go on runs
    assert services.inbound_process_queued(drain_seconds=0) == services.BATCH_SIZE

    # then it processed one batch, and the task it queued takes the rest
    assert [task.name for task in queue.pending()] == ["inbound_process_task"]
    assert InboundMessage.objects.filter(status=InboundStatus.RECEIVED).count() == 5
    assert services.inbound_process_queued() == 5


def test_the_reconciler_queues_a_task_even_when_the_mark_says_one_waits(queue, django_capture_on_commit_callbacks):
    # given a message stored long ago whose task was lost, the queued mark left behind
    store(1, django_capture_on_commit_callbacks)
    queue.flush()
    queue.put_if_empty(services.QUEUED_KEY, 1)
    InboundMessage.objects.update(received_at=timezone.now() - timedelta(minutes=5))

    # when the reconciler runs
    assert services.inbound_reconcile() == 1

    # then a task is queued again
    assert [task.name for task in queue.pending()] == ["inbound_process_task"]


def test_the_processing_task_runs_ahead_of_the_tasks_queued_before_it(queue, django_capture_on_commit_callbacks):
    # given a send of the outbox waiting (as processing queues a bot's answer), then a message stored
    from notifications.tasks import outbox_send_task

    outbox_send_task(1)
    store(1, django_capture_on_commit_callbacks)

    # when a worker takes the next task, it is the processing one
    assert [task.name for task in (queue.dequeue(), queue.dequeue())] == ["inbound_process_task", "outbox_send_task"]
