"""The listener's chunked DATA reader against aiosmtpd's own line-by-line one: the same bytes,
written in the same pieces, give the same replies and the same content (no database involved)."""

import random
import socket
import time

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from channels.email.lmtp import LINE_TOO_LONG, TOO_MUCH_DATA, OtklikLMTP
from channels.tests.lmtp_client import free_port


class _Recorder:
    def __init__(self) -> None:
        self.contents: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: object, envelope: object) -> str:
        self.contents.append(envelope.original_content)  # type: ignore[attr-defined]
        return "250 OK"


class _Listener(Controller):
    def __init__(self, server_class: type[SMTP]) -> None:
        self.server_class = server_class
        self.recorder = _Recorder()
        super().__init__(self.recorder, hostname="127.0.0.1", port=free_port(), data_size_limit=6000)

    def factory(self) -> SMTP:
        return self.server_class(self.handler, **self.SMTP_kwargs)


def _exchange(port: int, pieces: list[bytes]) -> list[str]:
    """Write the pieces (pausing between them) and return every reply line after the greeting."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for piece in pieces:
                sock.sendall(piece)
                time.sleep(0.001)
            sock.shutdown(socket.SHUT_WR)
            while chunk := sock.recv(65536):
                received += chunk
        except OSError:  # the server closed the connection (after a command it refused)
            received += b"\r\n(reset)"
    return [line for line in received.decode().split("\r\n")[1:] if line and line[3:4] != "-"]


def _case(rng: random.Random) -> bytes:
    lines = []
    for _n in range(rng.randint(0, 40)):
        kind = rng.random()
        if kind < 0.15:
            lines.append(b"." * rng.randint(1, 3) + b"dot")
        elif kind < 0.2:
            lines.append(b"." * rng.randint(1, 2))
        elif kind < 0.23:
            lines.append(b"y" * rng.randint(990, 1010))  # around the line limit
        elif kind < 0.26:
            lines += [b"z" * 900] * rng.randint(1, 8)  # towards the size limit
        else:
            lines.append(b"line %d \xd0\xbf\xd1\x80\xd0\xb8" % rng.randint(0, 999))
    # as a client writes them: a leading dot doubled (and now and then, wrongly, not)
    return b"".join((b"." if line[:1] == b"." and rng.random() < 0.9 else b"") + line + b"\r\n" for line in lines)


def test_the_chunked_reader_answers_and_reads_as_aiosmtpd_does():
    rng = random.Random(20261207)
    ours, theirs = _Listener(OtklikLMTP), _Listener(LMTP)
    ours.start()
    theirs.start()
    replies: list[str] = []
    try:
        for _n in range(60):
            wire = b""
            for _message in range(rng.randint(1, 3)):
                wire += b"MAIL FROM:<a@b.test>\r\nRCPT TO:<s@c.test>\r\nDATA\r\n" + _case(rng) + b".\r\n"
            wire = b"LHLO client.test\r\n" + wire + b"QUIT\r\n"
            cuts = sorted(rng.sample(range(1, len(wire)), min(len(wire) - 1, rng.randint(0, 12))))
            pieces = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
            answered = _exchange(ours.port, pieces)
            assert answered == _exchange(theirs.port, pieces)
            replies += answered
            assert ours.recorder.contents == theirs.recorder.contents
    finally:
        ours.stop()
        theirs.stop()
    # the cases reached every outcome: the content kept, a line too long, too much data
    assert {"250 OK", LINE_TOO_LONG, TOO_MUCH_DATA} <= set(replies)
