"""A real SMTP server (aiosmtpd) on a free loopback port that keeps what it accepts, and can be
told to answer RCPT or DATA with a refusal; a mailbox that sends through it; a ticket world."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from accounts.choices import Role
from channels.choices import TransportSecurity
from channels.models import Mailbox
from tests.factories import CompanyFactory, ContactFactory, TeamFactory, UserFactory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        # as a mail program reads it: line ends are the local ones
        parsed = message_from_bytes(self.data.replace(b"\r\n", b"\n"), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpSink:
    """The handler: `rcpt_answer` refuses every recipient while set; `data_answers` are used up
    one per DATA command before the server accepts again."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    rcpt_answer: str = ""
    data_answers: list[str] = field(default_factory=list)
    data_commands: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.data_answers:
            return self.data_answers.pop(0)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Message accepted for delivery"


@pytest.fixture
def smtp_sink():
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def team(db):
    return TeamFactory(code="service", name_ru="Сервис", name_en="Service")


@pytest.fixture
def mailbox(db, smtp_sink, team):
    return Mailbox.objects.create(
        name="Поддержка",
        address="support@romashka-service.test",
        brand_name="Ромашка Сервис",
        signature="Служба поддержки «Ромашка Сервис»\n+7 495 000-00-00",
        language="ru",
        team=team,
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.port,
        smtp_security=TransportSecurity.NONE,
    )


@pytest.fixture
def agent(team):
    user = UserFactory(email="agent@otklik.test", full_name="Анна Диспетчер", role=Role.AGENT, language="en")
    team.members.add(user)
    return user


@pytest.fixture
def company(db):
    return CompanyFactory(name="ООО Ромашка")


@pytest.fixture
def contact(company):
    return ContactFactory(company=company, full_name="Пётр Иванов", email="petr@romashka.test")


@pytest.fixture
def agent_client(agent):
    browser = Client(headers={"Accept-Language": "en"})
    browser.force_login(agent)
    return browser
