from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile

from tickets.services import UploadedFileData


def uploaded_files(files: Iterable[UploadedFile]) -> list[UploadedFileData]:
    """Multipart uploads in the shape tickets.services stores them."""
    return [
        UploadedFileData(name=upload.name or "file", content_type=upload.content_type or "", file=upload)
        for upload in files
    ]
