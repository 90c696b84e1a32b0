"""A real LMTP/SMTP client for the tests, reading one DATA reply per accepted recipient (Python's
smtplib.LMTP reads only one, which is right for a single recipient only)."""

import re
import smtplib
import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wire(raw: bytes) -> bytes:
    data = re.sub(rb"\r\n|\n|\r", b"\r\n", raw)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def send(
    port: int, raw: bytes, recipients: list[str], *, sender: str = "petr@romashka.test", lmtp: bool = True
) -> tuple[list[int], list[int]]:
    """Deliver `raw`; returns the RCPT reply codes and the DATA reply codes (one per accepted
    recipient for LMTP, one for SMTP; empty when no recipient was accepted)."""
    client: smtplib.SMTP = smtplib.LMTP("127.0.0.1", port) if lmtp else smtplib.SMTP("127.0.0.1", port)
    try:
        client.ehlo("client.test")
        code, _msg = client.mail(sender)
        assert code == 250, _msg
        rcpt_codes = [client.rcpt(address)[0] for address in recipients]
        accepted = sum(1 for c in rcpt_codes if c == 250)
        if not accepted:
            return rcpt_codes, []
        client.putcmd("data")
        code, _msg = client.getreply()
        assert code == 354, _msg
        client.send(_wire(raw))
        data_codes = [client.getreply()[0] for _n in range(accepted if lmtp else 1)]
        return rcpt_codes, data_codes
    finally:
        try:
            client.quit()
        except smtplib.SMTPException:
            client.close()
