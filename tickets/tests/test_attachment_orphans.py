import os
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from tests.factories import make_ticket
from tickets.services import UploadedFileData, attachment_orphans_sweep


def _age(path: str, hours: int) -> None:
    old = (timezone.now() - timedelta(hours=hours)).timestamp()
    os.utime(default_storage.path(path), (old, old))


def test_old_files_without_an_attachment_row_are_removed(db):
    # given: one real attachment, one old orphan, one fresh orphan (its transaction may be open)
    ticket = make_ticket(attachments=[UploadedFileData("act.pdf", "application/pdf", ContentFile(b"%PDF-1.4 act"))])
    kept = ticket.attachments.get().file.name
    old_orphan = default_storage.save("2026/01/orphan-old", ContentFile(b"left behind"))
    new_orphan = default_storage.save("2026/01/orphan-new", ContentFile(b"being written"))
    _age(kept, 48)
    _age(old_orphan, 48)
    # when
    removed = attachment_orphans_sweep(older_than=timedelta(hours=6))
    # then
    assert removed == 1
    assert default_storage.exists(kept)
    assert not default_storage.exists(old_orphan)
    assert default_storage.exists(new_orphan)
