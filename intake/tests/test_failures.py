"""The sentence an administrator reads about a failed inbound message (intake/failures.py)."""

from django.utils import translation

from intake.failures import failure_summary


def test_known_failures_read_as_sentences_and_an_unknown_one_names_the_error():
    with translation.override("en"):
        assert (
            failure_summary("channels.email.parsing.EmailParseError: no headers: not a mail message\n\nTraceback…")
            == "Not a mail message Otklik can read: no headers: not a mail message."
        )
        assert failure_summary("ValueError: the update is not a JSON object\n\nTraceback…") == (
            "The message is malformed: the update is not a JSON object"
        )
        assert failure_summary("django.db.utils.OperationalError: database is locked") == (
            "The database was not available; process it again."
        )
        unknown = failure_summary("UnicodeEncodeError: 'ascii' codec can't encode characters\n\nTraceback…")
        assert unknown.startswith("Otklik failed while processing it (UnicodeEncodeError).")
    with translation.override("ru"):
        assert failure_summary("ValueError: x").startswith("Сообщение повреждено")


def test_a_notice_written_for_people_is_shown_as_written():
    notice = "The message is 30 MB; the mailbox takes up to 25 MB. Moved to Otklik/Quarantine."
    assert failure_summary(notice + "\nmore") == notice
    assert failure_summary("") == ""


def test_an_exception_without_words_still_reads_as_a_sentence():
    with translation.override("en"):
        assert failure_summary("AssertionError\n\nTraceback…").startswith(
            "Otklik failed while processing it (AssertionError)"
        )
