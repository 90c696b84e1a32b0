from django.db import migrations

KINDS = [
    ("building", "Здание", "Building", []),
    ("floor", "Этаж / помещение", "Floor / room", []),
    (
        "lift",
        "Лифт",
        "Lift",
        [("capacity_kg", "Грузоподъёмность, кг", "Capacity, kg", "number"), ("stops", "Остановок", "Stops", "number")],
    ),
    (
        "hvac",
        "Кондиционер / сплит-система",
        "Air conditioner / split system",
        [
            ("cooling_kw", "Холодопроизводительность, кВт", "Cooling capacity, kW", "number"),
            ("refrigerant", "Хладагент", "Refrigerant", "text"),
        ],
    ),
    (
        "ventilation",
        "Вентиляция",
        "Ventilation",
        [("airflow_m3h", "Производительность, м³/ч", "Airflow, m³/h", "number")],
    ),
    ("heating", "Отопление / ИТП", "Heating / substation", []),
    ("electrical", "Электрощит", "Switchboard", [("power_kw", "Мощность, кВт", "Power, kW", "number")]),
    ("fire_alarm", "Пожарная сигнализация", "Fire alarm", []),
    (
        "cash_register",
        "Кассовый аппарат",
        "Cash register",
        [
            ("fn_until", "ФН действует до", "Fiscal drive valid until", "date"),
            ("rn_kkt", "РН ККТ", "Registration number", "text"),
        ],
    ),
    ("server", "Сервер", "Server", [("ip", "IP-адрес", "IP address", "text")]),
    ("workstation", "Компьютер / рабочее место", "Workstation", [("os", "ОС", "OS", "text")]),
    ("printer", "Принтер / МФУ", "Printer / MFP", [("cartridge", "Картридж", "Cartridge", "text")]),
]


def add_kinds(apps, schema_editor):
    EquipmentKind = apps.get_model("assets", "EquipmentKind")
    for order, (code, ru, en, params) in enumerate(KINDS):
        EquipmentKind.objects.get_or_create(
            code=code,
            defaults={
                "name_ru": ru,
                "name_en": en,
                "order": order * 10,
                "parameters": [{"code": c, "name_ru": r, "name_en": e, "type": t} for c, r, e, t in params],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_initial")]
    operations = [migrations.RunPython(add_kinds, migrations.RunPython.noop)]
