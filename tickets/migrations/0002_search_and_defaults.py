from django.db import migrations

from tickets import search

STATUSES = [
    # code, ru, en, category, order, colour, default, delay
    ("new", "Новая", "New", "new", 10, "#2563eb", True, False),
    ("open", "В работе", "In progress", "open", 20, "#0891b2", False, False),
    ("waiting_client", "Ждём ответа клиента", "Waiting for client", "pending", 30, "#ca8a04", False, False),
    ("delayed", "Отложена", "Delayed", "pending", 40, "#a16207", False, True),
    ("resolved", "Решена", "Resolved", "resolved", 50, "#16a34a", False, False),
    ("closed", "Закрыта", "Closed", "closed", 60, "#64748b", False, False),
]
PRIORITIES = [
    ("critical", "Критический", "Critical", 10, "#dc2626", False),
    ("high", "Высокий", "High", 20, "#ea580c", False),
    ("normal", "Обычный", "Normal", 30, "#2563eb", True),
    ("low", "Низкий", "Low", 40, "#64748b", False),
]
TYPES = [
    ("incident", "Инцидент", "Incident", 10),
    ("request", "Запрос на обслуживание", "Service request", 20),
    ("question", "Консультация", "Question", 30),
    ("planned", "Плановые работы", "Planned work", 40),
]


def seed(apps, schema_editor):
    Status = apps.get_model("tickets", "Status")
    Priority = apps.get_model("tickets", "Priority")
    TicketType = apps.get_model("tickets", "TicketType")
    TicketSequence = apps.get_model("tickets", "TicketSequence")
    for code, ru, en, category, order, colour, default, delay in STATUSES:
        Status.objects.get_or_create(
            code=code,
            defaults=dict(
                name_ru=ru,
                name_en=en,
                category=category,
                order=order,
                colour=colour,
                is_default=default,
                is_delay=delay,
            ),
        )
    for code, ru, en, order, colour, default in PRIORITIES:
        Priority.objects.get_or_create(
            code=code, defaults=dict(name_ru=ru, name_en=en, order=order, colour=colour, is_default=default)
        )
    for code, ru, en, order in TYPES:
        TicketType.objects.get_or_create(code=code, defaults=dict(name_ru=ru, name_en=en, order=order))
    TicketSequence.objects.get_or_create(name="ticket", defaults={"value": 0})


def create_search(apps, schema_editor):
    search.create_schema(schema_editor)


def drop_search(apps, schema_editor):
    search.drop_schema(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [
        migrations.RunPython(create_search, drop_search),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
