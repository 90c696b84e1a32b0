"""Seed the client notices' templates with the built-in Russian and English words (a copy of
notifications/notice_defaults.py as it was, so the migration never changes)."""

from django.db import migrations

TEMPLATES = [
    (
        "acknowledgement",
        "ru",
        "Заявка №{number} принята: {title}",
        "Ваша заявка №{number} «{title}» принята. Мы ответим как можно скорее.",
    ),
    (
        "acknowledgement",
        "en",
        "Request #{number} received: {title}",
        'Your request #{number} "{title}" has been received. We will answer as soon as possible.',
    ),
    (
        "assigned",
        "ru",
        "Заявка №{number}: назначен инженер",
        "Вашей заявкой №{number} «{title}» занимается {engineer}.",
    ),
    (
        "assigned",
        "en",
        "Request #{number}: engineer assigned",
        '{engineer} is now working on your request #{number} "{title}".',
    ),
    ("status_changed", "ru", "Заявка №{number}: {status}", "Статус вашей заявки №{number} «{title}»: {status}."),
    ("status_changed", "en", "Request #{number}: {status}", 'Your request #{number} "{title}" is now: {status}.'),
    (
        "resolved",
        "ru",
        "Заявка №{number} решена: {title}",
        "Ваша заявка №{number} «{title}» решена.\n\nПодтвердите, пожалуйста, что всё в порядке, или откройте заявку снова, если проблема осталась: {link}",
    ),
    (
        "resolved",
        "en",
        "Request #{number} resolved: {title}",
        'Your request #{number} "{title}" has been resolved.\n\nPlease confirm that all is well, or reopen the request if the problem is still there: {link}',
    ),
    (
        "busy",
        "ru",
        "Заявка №{number}: все операторы заняты",
        "Здравствуйте! Все операторы сейчас заняты. Ваша заявка №{number} «{title}» в очереди, мы ответим, как только освободимся.",
    ),
    (
        "busy",
        "en",
        "Request #{number}: all operators are busy",
        'Hello! All our operators are busy at the moment. Your request #{number} "{title}" is in the queue; we will answer as soon as we can.',
    ),
]


def seed(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    for kind, language, subject, text in TEMPLATES:
        NoticeTemplate.objects.get_or_create(kind=kind, language=language, defaults={"subject": subject, "body": text})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0008_notice_templates_company_switches_busy_reply")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
