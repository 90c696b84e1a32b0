"""The built-in words of the client notices, in Russian and English (docs/architecture/notices.md).
The data migration 0008 copied them into NoticeTemplate rows, which administrators edit; these are
used when a row is missing and by "restore the default" on the template screen."""

DEFAULT_TEMPLATES: dict[str, dict[str, dict[str, str]]] = {
    "acknowledgement": {
        "ru": {
            "subject": "Заявка №{number} принята: {title}",
            "body": "Ваша заявка №{number} «{title}» принята. Мы ответим как можно скорее.",
        },
        "en": {
            "subject": "Request #{number} received: {title}",
            "body": 'Your request #{number} "{title}" has been received. We will answer as soon as possible.',
        },
    },
    "assigned": {
        "ru": {
            "subject": "Заявка №{number}: назначен инженер",
            "body": "Вашей заявкой №{number} «{title}» занимается {engineer}.",
        },
        "en": {
            "subject": "Request #{number}: engineer assigned",
            "body": '{engineer} is now working on your request #{number} "{title}".',
        },
    },
    "status_changed": {
        "ru": {
            "subject": "Заявка №{number}: {status}",
            "body": "Статус вашей заявки №{number} «{title}»: {status}.",
        },
        "en": {
            "subject": "Request #{number}: {status}",
            "body": 'Your request #{number} "{title}" is now: {status}.',
        },
    },
    "resolved": {
        "ru": {
            "subject": "Заявка №{number} решена: {title}",
            "body": (
                "Ваша заявка №{number} «{title}» решена.\n\n"
                "Подтвердите, пожалуйста, что всё в порядке, или откройте заявку снова, если проблема осталась: {link}"
            ),
        },
        "en": {
            "subject": "Request #{number} resolved: {title}",
            "body": (
                'Your request #{number} "{title}" has been resolved.\n\n'
                "Please confirm that all is well, or reopen the request if the problem is still there: {link}"
            ),
        },
    },
    "busy": {
        "ru": {
            "subject": "Заявка №{number}: все операторы заняты",
            "body": (
                "Здравствуйте! Все операторы сейчас заняты. Ваша заявка №{number} «{title}» в очереди, "
                "мы ответим, как только освободимся."
            ),
        },
        "en": {
            "subject": "Request #{number}: all operators are busy",
            "body": (
                'Hello! All our operators are busy at the moment. Your request #{number} "{title}" is in the '
                "queue; we will answer as soon as we can."
            ),
        },
    },
}
