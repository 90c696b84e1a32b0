"""Demo data for a first look at Otklik: a facility-maintenance company, its teams, clients,
sites and two months of tickets with conversations, in Russian.

Run by `make run` on every start. Idempotent: when the demo administrator already exists the
command creates nothing and only prints the logins. Everything is written through the same
services production uses (so events, first-response stamps and search documents are real);
timestamps are moved into the past afterwards with queryset updates so the queues look lived
in. Deterministic: the same seed gives the same world.
"""

from __future__ import annotations

import random
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Team, User
from assets.models import Equipment, EquipmentKind, Responsible
from automation.demo import seed_automation_demo
from automation.repeats.services import detection_off
from channels.choices import MailboxInbound
from channels.models import Mailbox
from contracts.models import Contract, ContractStatus, HoursPeriod, PaymentState, PriceList, PriceListItem, TicketWork
from customers.models import Company, CompanyCategory, Contact, Site
from customers.services import company_create, contact_create, site_create
from sla.services import ticket_sla_refresh
from tickets import services
from tickets.choices import ArticleKind, Channel, StatusCategory
from tickets.models import Article, Priority, ServiceCategory, Status, Ticket, TicketEvent, TicketLink, TicketType

DEMO_PASSWORD = "demo"  # noqa: S105 — a published demo password, below the validators on purpose
ADMIN_EMAIL = "admin@demo.local"
DEMO_MAILBOX = "support@demo.local"
TICKET_COUNT = 300
HISTORY_DAYS = 60
MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")

# --- staff and teams ---------------------------------------------------------------------------

# code, name_ru, name_en, team email
TEAMS = [
    ("dispatch", "Диспетчерская", "Dispatch", "dispatch@demo.local"),
    ("engineering", "Инженерная служба", "Engineering", "engineering@demo.local"),
    ("electric", "Электрики", "Electricians", "electric@demo.local"),
    ("it", "ИТ-поддержка", "IT support", "it@demo.local"),
    ("cleaning", "Клининг", "Cleaning", "cleaning@demo.local"),
]

# email, full name, role, phone, time zone, team codes
STAFF = [
    (ADMIN_EMAIL, "Ольга Смирнова", Role.ADMIN, "+7 495 120-40-01", "Europe/Moscow", ["dispatch"]),
    (
        "dispatcher@demo.local",
        "Анна Кузнецова",
        Role.AGENT,
        "+7 495 120-40-02",
        "Europe/Moscow",
        ["dispatch", "engineering", "electric", "it", "cleaning"],
    ),
    ("engineer@demo.local", "Сергей Волков", Role.ENGINEER, "+7 916 300-11-22", "Europe/Moscow", ["engineering"]),
    ("supervisor@demo.local", "Марина Лебедева", Role.SUPERVISOR, "+7 495 120-40-03", "Europe/Moscow", ["dispatch"]),
    (
        "e.morozova@demo.local",
        "Екатерина Морозова",
        Role.AGENT,
        "+7 495 120-40-04",
        "Europe/Moscow",
        ["dispatch", "it"],
    ),
    (
        "d.sokolov@demo.local",
        "Дмитрий Соколов",
        Role.ENGINEER,
        "+7 913 455-20-10",
        "Asia/Novosibirsk",
        ["engineering", "electric"],
    ),
    ("v.egorov@demo.local", "Виктор Егоров", Role.ENGINEER, "+7 916 300-11-23", "Europe/Moscow", ["engineering"]),
    ("a.popov@demo.local", "Алексей Попов", Role.ENGINEER, "+7 916 300-11-24", "Europe/Moscow", ["electric"]),
    ("i.novikov@demo.local", "Игорь Новиков", Role.ENGINEER, "+7 916 300-11-25", "Europe/Moscow", ["electric"]),
    ("p.kozlov@demo.local", "Павел Козлов", Role.AGENT, "+7 495 120-40-05", "Europe/Moscow", ["it"]),
    ("n.fedorov@demo.local", "Никита Фёдоров", Role.ENGINEER, "+7 916 300-11-26", "Europe/Moscow", ["it"]),
    ("t.pavlova@demo.local", "Татьяна Павлова", Role.AGENT, "+7 495 120-40-06", "Europe/Moscow", ["cleaning"]),
    ("r.belov@demo.local", "Роман Белов", Role.CONTRACTOR, "+7 926 777-40-40", "Europe/Moscow", []),
]
TEAM_SUPERVISORS = {
    "dispatch": "supervisor@demo.local",
    "engineering": "engineer@demo.local",
    "electric": "a.popov@demo.local",
    "it": "p.kozlov@demo.local",
    "cleaning": "t.pavlova@demo.local",
}

# The logins printed at the end: email, role shown.
DEMO_LOGINS = [
    (ADMIN_EMAIL, "admin"),
    ("dispatcher@demo.local", "agent"),
    ("engineer@demo.local", "engineer"),
    ("client@demo.local", "client"),
    ("client2@demo.local", "client"),
]

# --- service catalogue ------------------------------------------------------------------------

# code, name_ru, name_en, default team code, parent code
CATEGORIES = [
    ("hvac", "Кондиционирование", "Air conditioning", "engineering", None),
    ("ventilation", "Вентиляция", "Ventilation", "engineering", None),
    ("heating", "Отопление", "Heating", "engineering", None),
    ("electric", "Электрика", "Electrical", "electric", None),
    ("lighting", "Освещение", "Lighting", "electric", "electric"),
    ("plumbing", "Сантехника", "Plumbing", "engineering", None),
    ("lifts", "Лифты", "Lifts", "engineering", None),
    ("gates", "Ворота и шлагбаумы", "Gates and barriers", "electric", None),
    ("it", "IT и кассовое оборудование", "IT and tills", "it", None),
    ("cleaning", "Уборка", "Cleaning", "cleaning", None),
    ("other", "Прочее", "Other", "dispatch", None),
]

# Service category -> the kinds of equipment its requests are about (tickets/seed: ticket.equipment).
CATEGORY_KINDS = {
    "hvac": ("hvac",),
    "ventilation": ("ventilation",),
    "heating": ("heating",),
    "electric": ("electrical",),
    "lifts": ("lift",),
    "it": ("cash_register", "server", "workstation", "printer"),
}

# Kind code, name, manufacturer and model choices, parameters
EQUIPMENT: list[tuple[str, str, list[tuple[str, str]], dict[str, list[Any]]]] = [
    (
        "hvac",
        "Сплит-система",
        [("Daikin", "FTXM35R"), ("Mitsubishi Electric", "MSZ-LN35"), ("Haier", "AS35S2SF1FA")],
        {"cooling_kw": [3.5, 5.0, 7.1], "refrigerant": ["R32", "R410A"]},
    ),
    (
        "ventilation",
        "Приточно-вытяжная установка",
        [("Systemair", "Topvex FR06"), ("Breezart", "2700 Lux")],
        {"airflow_m3h": [1200, 2700, 4500]},
    ),
    ("heating", "Индивидуальный тепловой пункт", [("Ридан", "ИТП-120"), ("Danfoss", "Termix")], {}),
    (
        "electrical",
        "Вводно-распределительное устройство",
        [("IEK", "ВРУ-1"), ("ABB", "ArTu K")],
        {"power_kw": [60, 120, 250]},
    ),
    (
        "lift",
        "Лифт пассажирский",
        [("OTIS", "Gen2"), ("KONE", "MonoSpace 500"), ("Щербинский лифтостроительный", "ЩЛЗ-1000")],
        {"capacity_kg": [630, 1000], "stops": [5, 9, 12]},
    ),
    ("cash_register", "Касса", [("АТОЛ", "Sigma 10"), ("Эвотор", "7.2")], {"rn_kkt": ["0001234567012345"]}),
    ("server", "Сервер", [("Dell", "PowerEdge R650"), ("HPE", "ProLiant DL380")], {"ip": ["10.0.0.10", "10.0.0.11"]}),
    ("printer", "МФУ", [("Kyocera", "M2540dn"), ("HP", "LaserJet M428")], {"cartridge": ["TK-1170", "CF259A"]}),
]

COMPANY_CATEGORIES = [
    ("vip", "VIP", "VIP", True),
    ("key", "Ключевой клиент", "Key account", False),
    ("retail", "Розничная сеть", "Retail chain", False),
]

TAGS = ["срочно", "VIP", "гарантия", "повторная", "ночная смена", "нужна запчасть", "договор ТО", "выезд"]

# --- clients ------------------------------------------------------------------------------------

# City, time zone, streets
CITIES = {
    "Москва": ("Europe/Moscow", ["ул. Тверская", "Ленинградский пр-т", "ул. Профсоюзная", "Варшавское ш."]),
    "Санкт-Петербург": ("Europe/Moscow", ["Невский пр-т", "ул. Савушкина", "Московский пр-т"]),
    "Казань": ("Europe/Moscow", ["ул. Баумана", "пр-т Победы"]),
    "Нижний Новгород": ("Europe/Moscow", ["ул. Большая Покровская", "Московское ш."]),
    "Краснодар": ("Europe/Moscow", ["ул. Красная", "ул. Уральская"]),
    "Самара": ("Europe/Samara", ["ул. Куйбышева", "Московское ш."]),
    "Екатеринбург": ("Asia/Yekaterinburg", ["ул. Малышева", "пр-т Космонавтов", "ул. 8 Марта"]),
    "Челябинск": ("Asia/Yekaterinburg", ["пр-т Ленина", "ул. Кирова"]),
    "Тюмень": ("Asia/Yekaterinburg", ["ул. Республики"]),
    "Новосибирск": ("Asia/Novosibirsk", ["Красный пр-т", "ул. Гоголя", "ул. Фрунзе"]),
    "Омск": ("Asia/Omsk", ["ул. Ленина", "пр-т Мира"]),
    "Красноярск": ("Asia/Krasnoyarsk", ["пр-т Мира", "ул. Партизана Железняка"]),
}


@dataclass(frozen=True)
class CompanySpec:
    name: str
    legal_name: str
    inn_base: str  # nine digits; the check digit is computed
    domain: str
    phone: str
    sees_all: bool
    sites: list[tuple[str, str]]  # (site name, city)
    contacts: list[tuple[str, str, int, int]]  # (full name, position, extra emails, phones)
    weight: int


# Demo email domains use the reserved ".test" TLD: a demo install pointed at a real SMTP server
# must never write to strangers.
COMPANIES = [
    CompanySpec(
        "Хлебный дом",
        "ООО «Хлебный дом»",
        "770412345",
        "hlebdom.test",
        "+7 495 640-12-12",
        True,
        [("Пекарня на Тверской", "Москва"), ("Пекарня на Профсоюзной", "Москва"), ("Цех выпечки", "Москва")],
        [("Елена Орлова", "Управляющая сетью", 1, 2), ("Игорь Тихонов", "Главный технолог", 0, 1)],
        9,
    ),
    CompanySpec(
        "БЦ «Северная звезда»",
        "АО «Северная звезда»",
        "780234567",
        "sev-zvezda.test",
        "+7 812 309-55-00",
        False,
        [("Бизнес-центр «Северная звезда»", "Санкт-Петербург"), ("БЦ «Звезда-2»", "Санкт-Петербург")],
        [
            ("Кирилл Андреев", "Главный инженер", 0, 2),
            ("Наталья Белова", "Администратор ресепшен", 1, 1),
            ("Олег Гусев", "Начальник АХО", 0, 1),
        ],
        10,
    ),
    CompanySpec(
        "ТЦ «Галерея Сибирь»",
        "ООО «Галерея Сибирь»",
        "540398765",
        "galereya-sibir.test",
        "+7 383 212-40-40",
        True,
        [("ТЦ «Галерея Сибирь»", "Новосибирск"), ("Парковка ТЦ", "Новосибирск")],
        [
            ("Андрей Зайцев", "Технический директор", 1, 2),
            ("Светлана Ким", "Администратор ТЦ", 0, 1),
            ("Максим Руденко", "Старший смены охраны", 0, 1),
        ],
        9,
    ),
    CompanySpec(
        "Аптеки «Здоровье+»",
        "ООО «Здоровье Плюс»",
        "166055512",
        "zdorovie-plus.test",
        "+7 843 555-03-03",
        False,
        [("Аптека №1", "Казань"), ("Аптека №7", "Казань"), ("Аптека №12", "Нижний Новгород"), ("Склад", "Казань")],
        [
            ("Гульнара Хасанова", "Руководитель сети", 1, 1),
            ("Рустам Галиев", "Завхоз", 0, 2),
            ("Алина Сафина", "Заведующая аптекой №7", 0, 1),
            ("Ирина Кравец", "Заведующая аптекой №12", 0, 1),
        ],
        8,
    ),
    CompanySpec(
        "Уралхимпром",
        "ПАО «Уралхимпром»",
        "667112233",
        "uralhimprom.test",
        "+7 343 310-20-30",
        True,
        [
            ("Административный корпус", "Екатеринбург"),
            ("Лаборатория", "Екатеринбург"),
            ("Склад реагентов", "Челябинск"),
        ],
        [("Владимир Шестаков", "Главный энергетик", 1, 2), ("Юлия Макарова", "Офис-менеджер", 0, 1)],
        7,
    ),
    CompanySpec(
        "Фитнес-клуб «Атлетика»",
        "ООО «Атлетика»",
        "772598741",
        "atletika-fit.test",
        "+7 495 988-77-66",
        False,
        [("Атлетика Сокол", "Москва"), ("Атлетика Варшавская", "Москва")],
        [("Денис Петренко", "Управляющий клубом", 0, 1), ("Ксения Лаврова", "Администратор", 1, 1)],
        6,
    ),
    CompanySpec(
        "Поликлиника № 12",
        "ГБУЗ «Городская поликлиника № 12»",
        "231012004",
        "gp12-krd.test",
        "+7 861 222-12-12",
        True,
        [("Главный корпус", "Краснодар"), ("Женская консультация", "Краснодар")],
        [
            ("Людмила Воронова", "Заместитель главврача по АХЧ", 1, 2),
            ("Артём Ершов", "Инженер по оборудованию", 0, 1),
            ("Оксана Демченко", "Старшая медсестра", 0, 1),
        ],
        6,
    ),
    CompanySpec(
        "ЛЦ «Восток»",
        "ООО «Логистический центр Восток»",
        "745332110",
        "lc-vostok.test",
        "+7 351 700-44-00",
        False,
        [("Склад А", "Челябинск"), ("Склад Б", "Челябинск"), ("Терминал", "Екатеринбург")],
        [("Евгений Соловьёв", "Начальник склада", 0, 2), ("Марат Юсупов", "Механик", 0, 1)],
        7,
    ),
    CompanySpec(
        "Рестораны «Самовар»",
        "ООО «Ресторанная группа Самовар»",
        "631544321",
        "samovar-rest.test",
        "+7 846 201-01-01",
        True,
        [("Самовар на Куйбышева", "Самара"), ("Самовар в ТРК", "Самара")],
        [
            ("Анастасия Громова", "Операционный директор", 1, 1),
            ("Вадим Лукин", "Шеф-повар", 0, 1),
            ("Полина Чернова", "Управляющая", 0, 1),
        ],
        6,
    ),
    CompanySpec(
        "Гимназия «Эрудит»",
        "ЧОУ «Гимназия Эрудит»",
        "550177889",
        "erudit-school.test",
        "+7 381 240-50-50",
        False,
        [("Здание гимназии", "Омск")],
        [("Валентина Сергеевна Кудрявцева", "Завхоз", 0, 2), ("Михаил Осипов", "Системный администратор", 1, 1)],
        4,
    ),
    CompanySpec(
        "Премьер Авто",
        "ООО «Премьер Авто»",
        "246699001",
        "premier-auto.test",
        "+7 391 205-05-05",
        True,
        [("Автосалон", "Красноярск"), ("Сервисный центр", "Красноярск")],
        [("Станислав Фомин", "Директор сервиса", 0, 1), ("Дарья Пестова", "Администратор", 1, 1)],
        5,
    ),
    CompanySpec(
        "Гостиница «Волга»",
        "ООО «Отель Волга»",
        "526088776",
        "hotel-volga.test",
        "+7 831 433-00-33",
        True,
        [("Гостиница «Волга»", "Нижний Новгород"), ("Апарт-отель «Волга Сити»", "Тюмень")],
        [
            ("Роберт Абрамян", "Главный инженер", 1, 2),
            ("Ольга Никитина", "Старший администратор", 0, 1),
            ("Ева Миронова", "Хозяйка гостиницы", 0, 1),
        ],
        7,
    ),
]
# The two demo client logins belong to the first contacts of these companies.
CLIENT_LOGINS = {"client@demo.local": 0, "client2@demo.local": 1}

# --- ticket texts -------------------------------------------------------------------------------

ROOMS = [
    "переговорной 3.12",
    "торговом зале",
    "серверной",
    "кабинете 214",
    "зале ожидания",
    "кухне",
    "на складе",
    "в холле первого этажа",
    "раздевалке",
    "кабинете директора",
    "коридоре 2 этажа",
    "кассовой зоне",
]


@dataclass(frozen=True)
class Problem:
    category: str
    type: str
    title: str
    description: str
    priority: str | None = None  # None: drawn from the usual distribution
    tags: tuple[str, ...] = ()
    done: str = ""  # the closing reply when the category's usual one does not fit


PROBLEMS = [
    Problem(
        "hvac",
        "incident",
        "Не охлаждает кондиционер в {room}",
        "Кондиционер в {room} включается, но дует тёплым воздухом. В помещении {temp} °C, сотрудники жалуются.",
    ),
    Problem(
        "hvac",
        "incident",
        "Течёт вода из кондиционера",
        "Из внутреннего блока кондиционера в {room} капает вода прямо на пол, подставили ведро.",
        "high",
    ),
    Problem(
        "hvac",
        "incident",
        "Кондиционер выдаёт ошибку E4",
        "На пульте кондиционера в {room} мигает ошибка E4, блок не запускается после перезагрузки.",
    ),
    Problem(
        "hvac",
        "planned",
        "Плановое ТО кондиционеров",
        "Прошу согласовать дату планового обслуживания сплит-систем по договору: чистка фильтров и дозаправка.",
        "low",
        ("договор ТО",),
    ),
    Problem(
        "hvac",
        "incident",
        "Шумит наружный блок кондиционера",
        "Наружный блок сильно гудит и вибрирует, жалуются соседи из офиса напротив.",
    ),
    Problem(
        "ventilation",
        "incident",
        "Не работает вытяжка на кухне",
        "Вытяжная вентиляция на кухне не работает с утра, в зале запах гари. Автомат в щитке включён.",
        "high",
    ),
    Problem(
        "ventilation",
        "incident",
        "Душно в {room}, вентиляция не тянет",
        "В {room} очень душно, приточная вентиляция, похоже, не работает. Решётки не дуют.",
    ),
    Problem(
        "heating",
        "incident",
        "Холодные батареи в {room}",
        "Батареи отопления в {room} холодные со вчерашнего вечера, температура воздуха {temp} °C.",
        "high",
    ),
    Problem(
        "heating",
        "incident",
        "Течёт радиатор отопления",
        "Под радиатором в {room} лужа, капает из соединения. Перекрыть кран сами не можем.",
        "critical",
    ),
    Problem(
        "electric",
        "incident",
        "Отключилось электричество в {room}",
        "В {room} пропало электричество: не работают розетки и свет. Автоматы в щитке выглядят включёнными.",
        "critical",
    ),
    Problem(
        "electric",
        "incident",
        "Выбивает автомат в щитке",
        "Автомат на группе розеток выбивает несколько раз в день, последний раз при включении чайника.",
    ),
    Problem(
        "electric",
        "request",
        "Установить дополнительные розетки",
        "Нужно установить две двойные розетки в {room} под новое оборудование. Готовы принять в будни после 18:00.",
        "low",
    ),
    Problem(
        "electric",
        "incident",
        "Искрит розетка",
        "Розетка в {room} искрит и нагревается, пользоваться перестали, место огородили.",
        "high",
        ("срочно",),
    ),
    Problem(
        "lighting",
        "incident",
        "Мигает свет в {room}",
        "Светильники в {room} мигают и гудят, у сотрудников болит голова. Мигают примерно половина ламп.",
    ),
    Problem(
        "lighting",
        "request",
        "Заменить перегоревшие лампы",
        "В {room} не горят несколько светильников, нужна замена ламп или светодиодных панелей.",
        "low",
    ),
    Problem(
        "lighting",
        "incident",
        "Не работает уличное освещение у входа",
        "Вечером у главного входа темно: не включаются фонари и подсветка вывески.",
    ),
    Problem(
        "plumbing",
        "incident",
        "Протечка с потолка в {room}",
        "С потолка в {room} течёт вода, намокли потолочные плитки. Похоже, протечка сверху.",
        "critical",
        ("срочно",),
    ),
    Problem(
        "plumbing",
        "incident",
        "Засор в туалете",
        "Засорился унитаз в туалете для посетителей, вода не уходит. Повесили табличку «не работает».",
        "high",
    ),
    Problem(
        "plumbing",
        "incident",
        "Нет горячей воды",
        "С утра нет горячей воды во всех кранах, бойлер включён, индикатор горит.",
    ),
    Problem(
        "plumbing",
        "incident",
        "Подтекает смеситель",
        "Смеситель на кухне подтекает под корпусом, под мойкой постоянно мокро.",
        "low",
    ),
    Problem(
        "lifts",
        "incident",
        "Застрял лифт между этажами",
        "Пассажирский лифт остановился между 2 и 3 этажом, внутри человек. Кнопка вызова диспетчера не отвечает.",
        "critical",
        ("срочно",),
    ),
    Problem(
        "lifts",
        "incident",
        "Лифт не закрывает двери",
        "Грузовой лифт не закрывает двери, на табло ошибка. Отгрузка товара остановлена.",
        "high",
    ),
    Problem(
        "lifts",
        "incident",
        "Скрипит и дёргается лифт",
        "Лифт при остановке на этажах сильно дёргается и скрипит, посетители боятся ездить.",
    ),
    Problem(
        "lifts",
        "planned",
        "Ежемесячное ТО лифтов",
        "Плановое ежемесячное обслуживание лифтов по договору, нужно согласовать время остановки.",
        "low",
        ("договор ТО",),
        "ТО лифтов выполнено по графику, замечаний нет. Запись внесена в журнал.",
    ),
    Problem(
        "gates",
        "incident",
        "Не открывается шлагбаум на въезде",
        "Шлагбаум на въезде на парковку не реагирует на пульты и на кнопку охраны, машины стоят.",
        "high",
    ),
    Problem(
        "gates",
        "incident",
        "Откатные ворота не закрываются до конца",
        "Ворота на территорию останавливаются на середине и едут обратно. Похоже, фотоэлементы.",
    ),
    Problem(
        "gates",
        "request",
        "Добавить пульты для шлагбаума",
        "Нужно запрограммировать ещё 5 пультов для шлагбаума для новых сотрудников.",
        "low",
    ),
    Problem(
        "it",
        "incident",
        "Не работает касса",
        "Онлайн-касса не пробивает чеки: ошибка связи с фискальным накопителем. Очередь из покупателей.",
        "critical",
        ("срочно",),
    ),
    Problem(
        "it",
        "incident",
        "Не работает терминал оплаты картой",
        "Банковский терминал на кассе №2 пишет «нет связи с хостом», оплату по картам не принимаем.",
        "high",
    ),
    Problem(
        "it",
        "incident",
        "Нет интернета в {room}",
        "В {room} пропал интернет на всех компьютерах, Wi-Fi тоже не работает.",
        "high",
        (),
        "Заменили зависший коммутатор, интернет и Wi-Fi работают. Провайдер аварию не подтвердил.",
    ),
    Problem(
        "it",
        "request",
        "Подключить новый принтер",
        "Купили МФУ, нужно подключить к сети и настроить печать и сканирование на трёх компьютерах.",
        "low",
        (),
        "МФУ подключено к сети, печать и сканирование в папку настроены на всех трёх компьютерах.",
    ),
    Problem(
        "it",
        "question",
        "Как сбросить пароль от Wi-Fi для гостей?",
        "Подскажите, пожалуйста, как поменять пароль гостевой сети Wi-Fi, старый знают уже все.",
        "low",
        (),
        "Сменили пароль гостевой сети, новый пароль отправили администратору в мессенджер.",
    ),
    Problem(
        "it",
        "incident",
        "Не работают камеры видеонаблюдения",
        "На видеорегистраторе пропало изображение с четырёх камер в {room}.",
        None,
        (),
        "Восстановили питание камер (сгорел блок питания), запись на регистратор идёт.",
    ),
    Problem(
        "cleaning",
        "request",
        "Генеральная уборка после ремонта",
        "После косметического ремонта в {room} нужна генеральная уборка: строительная пыль, пятна краски.",
        "low",
    ),
    Problem(
        "cleaning",
        "incident",
        "Не убрали мусор",
        "Со вчерашнего дня не вывезен мусор из контейнерной площадки, пакеты стоят у входа.",
    ),
    Problem(
        "cleaning",
        "request",
        "Мойка фасадных окон",
        "Прошу запланировать мойку окон фасада с автовышки, желательно в выходные.",
        "low",
    ),
    Problem(
        "other",
        "question",
        "Запрос акта выполненных работ",
        "Пришлите, пожалуйста, акты выполненных работ за прошлый месяц для бухгалтерии.",
        "low",
        (),
        "Акты за прошлый месяц отправили на почту бухгалтерии, оригиналы передадим с инженером.",
    ),
    Problem(
        "other",
        "incident",
        "Сработала пожарная сигнализация без причины",
        "Ночью сработала пожарная сигнализация в {room}, дыма и возгорания нет. Сработка повторилась утром.",
        "high",
        ("ночная смена",),
        "Заменили запылённый дымовой извещатель, шлейф проверили. Ложных сработок больше нет.",
    ),
    Problem(
        "other",
        "request",
        "Повесить полки и зеркало",
        "Нужно закрепить на стене две полки и большое зеркало в {room}.",
        "low",
    ),
]

AGENT_ACK = [
    "Добрый день! Заявку приняли, инженер приедет сегодня до {hour}:00.",
    "Здравствуйте! Спасибо за обращение, передали заявку дежурному специалисту, он свяжется с вами в течение часа.",
    "Заявка принята в работу. Специалист будет на объекте в течение {minutes} минут.",
    "Добрый день! Выезд запланирован на завтра с 9:00 до 12:00, подскажите, кто встретит инженера?",
    "Здравствуйте! Приняли, ставим в приоритет. Инженер уже выехал.",
]
AGENT_QUESTION = [
    "Уточните, пожалуйста, номер помещения и контактный телефон человека на месте.",
    "Пришлите, пожалуйста, фото шильдика оборудования и код ошибки на дисплее.",
    "Подскажите, в какое время будет доступ в помещение? Нужен пропуск для инженера.",
    "Проблема повторяется? Пришлите, пожалуйста, фото или видео, так быстрее поймём причину.",
]
AGENT_DONE = {
    "hvac": "Работы выполнены: почистили дренаж и фильтры, дозаправили фреоном. Кондиционер охлаждает.",
    "ventilation": "Заменили ремень привода вентилятора и сбросили аварию на щите автоматики. Вентиляция работает.",
    "heating": "Стравили воздух из стояка и заменили прокладку на соединении радиатора. Батареи горячие.",
    "electric": "Заменили неисправный автомат и подтянули контакты в щитке. Напряжение в норме.",
    "lighting": "Заменили драйверы в светильниках и две светодиодные панели. Свет не мигает.",
    "plumbing": "Устранили протечку: заменили участок трубы и уплотнители. Проверили под давлением, сухо.",
    "lifts": "Лифт запущен, пассажиров нет. Отрегулировали дверной привод, замечаний нет.",
    "gates": "Заменили фотоэлементы и перепрограммировали блок управления, ворота и шлагбаум работают.",
    "it": "Перенастроили подключение к ОФД и банку, касса и терминал работают, пробный чек пробит успешно.",
    "cleaning": "Уборка выполнена, мусор вывезен. Фотоотчёт приложим к акту.",
    "other": "Работы выполнены, акт подпишем при следующем визите.",
}
NOTES = [
    "Запчасть заказана, срок поставки 3–5 рабочих дней.",
    "Нужна замена компрессора, запросил коммерческое предложение у поставщика.",
    "Клиент просит позвонить перед выездом, охрана пропускает только по списку.",
    "Повторная заявка по этому объекту за месяц — проверить договор на ТО.",
    "Ключи от технического помещения у охраны на первом этаже.",
    "Согласовал время с клиентом по телефону, выезд после 18:00.",
    "Оборудование на гарантии, фото ошибки отправил производителю.",
    "Инженер на месте, ждём доступ в щитовую.",
]
CLIENT_FOLLOWUP = [
    "Добрый день! Есть новости по заявке?",
    "Инженер пока не приехал, подскажите, когда ждать?",
    "Можно перенести визит на вторую половину дня? До обеда у нас проверка.",
]
CLIENT_FOLLOWUP_INCIDENT = [
    "Дополнение: сегодня проблема повторилась ещё раз около {hour}:00.",
    "Проблема сохраняется, ситуация ухудшается. Просим ускорить.",
]
CLIENT_ANSWER = [
    "Встретит охранник, телефон +7 916 555-12-34. Доступ с 8:00.",
    "Фото отправили на почту, посмотрите, пожалуйста.",
    "Помещение открыто с 9:00 до 21:00, пропуск заказали на фамилию инженера.",
    "Код ошибки на дисплее E4, шильдик сфотографировали и отправили в мессенджер.",
]
CLIENT_THANKS = [
    "Спасибо, всё работает!",
    "Спасибо за оперативность.",
    "Проверили, всё в порядке. Заявку можно закрывать.",
]
PARENT_CHILD = [
    (
        Problem(
            "electric",
            "incident",
            "Отключение электроэнергии во всём здании",
            "Полностью пропало электричество во всём здании, работает только аварийное освещение.",
            "critical",
            ("срочно",),
        ),
        [
            Problem(
                "it",
                "incident",
                "Не работают кассы после отключения света",
                "После отключения электричества кассы и терминалы не запускаются.",
                "critical",
            ),
            Problem(
                "lifts",
                "incident",
                "Лифт остановился при отключении света",
                "При отключении электричества лифт остановился на 4 этаже, двери не открываются.",
                "critical",
            ),
        ],
    ),
    (
        Problem(
            "plumbing",
            "incident",
            "Прорыв трубы горячей воды в подвале",
            "В подвале прорвало трубу горячего водоснабжения, пар и вода, перекрыли вводной кран.",
            "critical",
            ("срочно",),
        ),
        [
            Problem(
                "plumbing",
                "incident",
                "Протечка с потолка на складе",
                "После аварии в подвале на складе мокрые стены, с потолка капает.",
                "high",
            ),
            Problem(
                "heating",
                "incident",
                "Нет отопления после аварии",
                "После прорыва трубы отключили отопление, в помещениях холодно.",
                "high",
            ),
        ],
    ),
]

CHANNEL_WEIGHTS = [
    (Channel.PHONE, 30),
    (Channel.EMAIL, 25),
    (Channel.PORTAL, 12),
    (Channel.TELEGRAM, 12),
    (Channel.WEB, 8),
    (Channel.WHATSAPP, 5),
    (Channel.API, 5),
    (Channel.AGENT, 3),
]
PRIORITY_WEIGHTS = [("critical", 5), ("high", 20), ("normal", 60), ("low", 15)]
# Final status by the ticket's age: fresh tickets are new or in progress, old ones mostly closed.
STATUS_WEIGHTS_BY_AGE = [
    (1, [("new", 40), ("open", 30), ("waiting_client", 10), ("resolved", 15), ("closed", 5)]),
    (
        7,
        [("new", 12), ("open", 33), ("waiting_client", 15), ("delayed", 5), ("resolved", 20), ("closed", 15)],
    ),
    (
        HISTORY_DAYS + 1,
        [("new", 3), ("open", 12), ("waiting_client", 8), ("delayed", 5), ("resolved", 12), ("closed", 60)],
    ),
]


def seed_demo_mailbox() -> bool:
    """The demo's support address, delivered to the LMTP listener and routed to dispatch.
    Idempotent; returns whether it was created."""
    if Mailbox.objects.filter(address__iexact=DEMO_MAILBOX).exists():
        return False
    Mailbox.objects.create(
        name="Поддержка",
        address=DEMO_MAILBOX,
        brand_name="Сервисная служба «Отклик»",
        language="ru",
        team=Team.objects.filter(code="dispatch").first(),
        inbound=MailboxInbound.LMTP,
    )
    return True


def inn_with_check_digit(base: str) -> str:
    """A 10-digit legal-entity INN with a valid check digit (the form validators check it)."""
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    check = sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11 % 10
    return base + str(check)


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _weight in pairs], weights=[weight for _value, weight in pairs])[0]


@dataclass
class Timeline:
    """Virtual times of one ticket's steps, applied to the rows after the services ran."""

    created: datetime
    received: datetime
    updated: datetime
    first_response: datetime | None = None
    resolved: datetime | None = None
    closed: datetime | None = None
    articles: list[tuple[int, datetime, datetime]] = field(default_factory=list)  # id, created, received


class World:
    """What the ticket generator draws from."""

    def __init__(self) -> None:
        self.statuses = {s.code: s for s in Status.objects.all()}
        self.priorities = {p.code: p for p in Priority.objects.all()}
        self.types = {t.code: t for t in TicketType.objects.all()}
        self.categories: dict[str, ServiceCategory] = {}
        self.teams: dict[str, Team] = {}
        self.team_members: dict[str, list[User]] = {}
        self.staff: dict[str, User] = {}
        self.dispatchers: list[User] = []
        self.companies: list[tuple[Company, list[Site], list[Contact], int]] = []
        self.client_users: dict[int, User] = {}  # contact id -> user


class Command(BaseCommand):
    help = "Create the Russian demo world (teams, clients, ~300 tickets) unless it already exists."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--seed", type=int, default=20240901, help="Random seed (same seed, same world).")

    def handle(self, *args: object, **options: Any) -> None:
        if User.objects.filter(email=ADMIN_EMAIL).exists():
            if not Equipment.objects.exists() and not Contract.objects.exists():
                # A demo database from before equipment and contracts existed: add them.
                with transaction.atomic():
                    companies = [(c, list(c.sites.order_by("id"))) for c in Company.objects.order_by("id")]
                    seed_client_base(
                        random.Random(options["seed"]),
                        companies,
                        managers=list(User.objects.filter(role__in=[Role.SUPERVISOR, Role.AGENT])),
                        today=timezone.localdate(),
                        categories={c.code: c for c in ServiceCategory.objects.all()},
                    )
                self.stdout.write("Demo equipment, contracts and price list added to the existing demo data.")
            elif seed_demo_mailbox():
                self.stdout.write("Demo mailbox support@demo.local added to the existing demo data.")
            else:
                self.stdout.write("Demo data already exists; nothing created.")
        elif User.objects.exists() or Ticket.objects.exists():
            # A real installation: never mix demo tickets into somebody's data.
            self.stdout.write("The database already holds users or tickets; demo data is only created in an empty one.")
            return
        else:
            started = timezone.now()
            with transaction.atomic():
                counts = DemoBuilder(seed=options["seed"], now=started).build()
                seed_demo_mailbox()
            elapsed = (timezone.now() - started).total_seconds()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data created in {elapsed:.1f} s: {counts['teams']} teams, {counts['staff']} staff, "
                    f"{counts['companies']} companies, {counts['tickets']} tickets, {counts['articles']} articles."
                )
            )
        self.stdout.write(
            f"Demo mailbox: mail to {DEMO_MAILBOX} over LMTP at {settings.LMTP_HOST}:{settings.LMTP_PORT} "
            "becomes a ticket (README.md)."
        )
        self.stdout.write("Demo logins (password for all: demo):")
        for email, role in DEMO_LOGINS:
            self.stdout.write(f"  {email:<24} / {DEMO_PASSWORD} / {role}")


class DemoBuilder:
    def __init__(self, *, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.world = World()
        self.last_event_id = TicketEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        self.timelines: dict[int, Timeline] = {}
        self.password_hash = ""

    # --- reference data and people ------------------------------------------------------------

    def build(self) -> dict[str, int]:
        self._teams_and_staff()
        self._catalogue()
        self._companies()
        self.units = seed_client_base(
            self.rng,
            [(company, sites) for company, sites, _c, _w in self.world.companies],
            managers=[u for u in self.world.staff.values() if u.role in (Role.SUPERVISOR, Role.AGENT)],
            today=timezone.localdate(self.now),
            categories=self.world.categories,
        )
        seed_sla_policies(supervisor=next((u for u in self.world.staff.values() if u.role == Role.SUPERVISOR), None))
        # The demo's backdated stories are not new arrivals: no repeated-complaint detection.
        with detection_off():
            self._tickets()
        self._links()
        self._apply_timelines()
        seed_works(self.rng, Ticket.objects.filter(pk__in=list(self.timelines)))
        # The stories were written with backdated times: recompute every clock from them.
        for ticket in Ticket.objects.filter(pk__in=list(self.timelines)).select_related("company", "site"):
            ticket_sla_refresh(ticket)
        mark_past_sla_moments_fired(Ticket.objects.filter(pk__in=list(self.timelines)), self.now)
        seed_automation_demo()
        return {
            "teams": len(self.world.teams),
            "staff": len(self.world.staff),
            "companies": len(self.world.companies),
            "tickets": len(self.timelines),
            "articles": Article.objects.filter(ticket_id__in=self.timelines).count(),
        }

    def _teams_and_staff(self) -> None:
        world = self.world
        long_ago = self.now - timedelta(days=400)
        for code, name_ru, name_en, email in TEAMS:
            world.teams[code] = Team.objects.create(code=code, name_ru=name_ru, name_en=name_en, email=email)
            world.team_members[code] = []
        # The on-duty team the shipped emergency rules route to (automation migrations): the rules
        # run while the demo is seeded, so its fire/lift/leak tickets land there.
        duty = Team.objects.filter(code="duty").first()
        if duty is not None:
            world.teams["duty"] = duty
            world.team_members["duty"] = []
        password_hash = ""
        for email, full_name, role, phone, time_zone, team_codes in STAFF:
            user = User(
                email=email,
                full_name=full_name,
                role=role,
                phone=phone,
                language="ru",
                time_zone=time_zone,
                is_superuser=role == Role.ADMIN,
                date_joined=long_ago + timedelta(days=self.rng.randint(0, 200)),
            )
            # One PBKDF2 run for the shared demo password instead of one per user (~0.4 s each).
            if password_hash:
                user.password = password_hash
            else:
                user.set_password(DEMO_PASSWORD)
                password_hash = user.password
            user.save()
            world.staff[email] = user
            for code in team_codes:
                world.teams[code].members.add(user)
                if role != Role.ADMIN:
                    world.team_members[code].append(user)
            if "dispatch" in team_codes and role in (Role.AGENT, Role.SUPERVISOR):
                world.dispatchers.append(user)
                if "duty" in world.teams:  # the dispatchers are the demo's on-duty shift
                    world.teams["duty"].members.add(user)
                    world.team_members["duty"].append(user)
        for code, email in TEAM_SUPERVISORS.items():
            team = world.teams[code]
            team.supervisor = world.staff[email]
            team.save(update_fields=["supervisor"])
        if "duty" in world.teams:  # escalations of critical tickets nobody took go to the supervisor
            world.teams["duty"].supervisor = world.staff[TEAM_SUPERVISORS["dispatch"]]
            world.teams["duty"].save(update_fields=["supervisor"])
        self.password_hash = password_hash

    def _catalogue(self) -> None:
        for order, (code, name_ru, name_en, team_code, parent_code) in enumerate(CATEGORIES, start=1):
            self.world.categories[code] = ServiceCategory.objects.create(
                code=code,
                name_ru=name_ru,
                name_en=name_en,
                default_team=self.world.teams[team_code],
                parent=self.world.categories[parent_code] if parent_code else None,
                order=order * 10,
            )

    def _companies(self) -> None:
        rng = self.rng
        client_contacts: dict[int, Contact] = {}
        for index, spec in enumerate(COMPANIES):
            company = company_create(
                name=spec.name,
                legal_name=spec.legal_name,
                inn=inn_with_check_digit(spec.inn_base),
                email_domains=spec.domain,
                phone=spec.phone,
                portal_contacts_see_all_tickets=spec.sees_all,
            )
            sites = []
            for site_name, city in spec.sites:
                time_zone, streets = CITIES[city]
                address = f"{city}, {rng.choice(streets)}, д. {rng.randint(1, 150)}"
                if rng.random() < 0.4:
                    address += f", стр. {rng.randint(1, 5)}"
                sites.append(site_create(company=company, name=site_name, address=address, time_zone=time_zone))
            contacts = []
            for number, (full_name, position, extra_emails, phones) in enumerate(spec.contacts):
                login = next((email for email, i in CLIENT_LOGINS.items() if i == index and number == 0), None)
                emails = [login] if login else []
                emails.append(f"{_latin_login(full_name)}@{spec.domain}")
                emails += [f"{_latin_login(full_name)}.{k + 2}@{spec.domain}" for k in range(extra_emails)]
                phone_list = [_mobile(rng) for _ in range(phones)]
                contact = contact_create(
                    full_name=full_name, company=company, emails=emails, phones=phone_list, position=position
                )
                contacts.append(contact)
                if login:
                    client_contacts[index] = contact
            self.world.companies.append((company, sites, contacts, spec.weight))
        for email, index in CLIENT_LOGINS.items():
            contact = client_contacts[index]
            user = User(
                email=email,
                full_name=contact.full_name,
                role=Role.CLIENT,
                contact=contact,
                language="ru",
                time_zone=self.world.companies[index][1][0].time_zone,
                password=self.password_hash,
                date_joined=self.now - timedelta(days=300),
            )
            user.save()
            self.world.client_users[contact.pk] = user
        year_ago = self.now - timedelta(days=365)
        company_ids = [c.pk for c, _s, _k, _w in self.world.companies]
        Company.objects.filter(pk__in=company_ids).update(created_at=year_ago, updated_at=year_ago)
        Site.objects.filter(company_id__in=company_ids).update(created_at=year_ago, updated_at=year_ago)
        Contact.objects.filter(company_id__in=company_ids).update(created_at=year_ago, updated_at=year_ago)

    # --- tickets ------------------------------------------------------------------------------

    def _tickets(self) -> None:
        rng = self.rng
        # (age in days, minute of the day in Moscow, problem, consequences): drawn without looking at
        # the clock, so the same seed gives the same tickets whenever it runs; only dates move.
        plans: list[tuple[float, int, Problem, list[Problem]]] = []
        for _ in range(TICKET_COUNT - sum(1 + len(children) for _parent, children in PARENT_CHILD)):
            # Recent days are busier: an age skewed towards today.
            plans.append((HISTORY_DAYS * rng.random() ** 1.6, self._minute_of_day(), rng.choice(PROBLEMS), []))
        for parent, children in PARENT_CHILD:
            plans.append((rng.uniform(3, HISTORY_DAYS - 5), self._minute_of_day(), parent, children))
        plans.sort(key=lambda plan: (-int(plan[0]), plan[1]))
        for age_days, minute, problem, children in plans:
            created = self._moment(int(age_days), minute)
            ticket = self._ticket(created, age_days, problem)
            # Consequences of a mass incident: same company and site, minutes later, children of it.
            for offset, child_problem in enumerate(children, start=1):
                self._ticket(
                    created + timedelta(minutes=7 * offset),
                    age_days,
                    child_problem,
                    company=ticket.company,
                    site=ticket.site,
                    parent=ticket,
                )

    def _minute_of_day(self) -> int:
        """Mostly 8:00–20:00 Moscow time; a few requests come at night."""
        night = self.rng.random() < 0.1
        return self.rng.randint(0, 1439) if night else self.rng.randint(8 * 60, 20 * 60 - 1)

    def _moment(self, days_ago: int, minute: int) -> datetime:
        """That minute of the Moscow day `days_ago` before today. Today's minutes are squeezed into
        the part of the day already past, keeping their order."""
        midnight = timezone.localtime(self.now, MOSCOW).replace(hour=0, minute=0, second=0, microsecond=0)
        if days_ago == 0:
            elapsed = max(self.now - midnight - timedelta(minutes=5), timedelta(0))
            return midnight + elapsed * minute / 1440
        return midnight - timedelta(days=days_ago) + timedelta(minutes=minute)

    def _dispatcher(self) -> User:
        return self.rng.choice(self.world.dispatchers)

    def _ticket(
        self,
        created: datetime,
        age_days: float,
        problem: Problem,
        *,
        company: Company | None = None,
        site: Site | None = None,
        parent: Ticket | None = None,
    ) -> Ticket:
        rng, world = self.rng, self.world
        if company is None:
            company, sites, contacts, _weight = rng.choices(world.companies, weights=[c[3] for c in world.companies])[0]
            site = rng.choice(sites) if rng.random() < 0.92 else None
        else:
            contacts = next(c for c in world.companies if c[0].pk == company.pk)[2]
        contact = rng.choice(contacts)
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        client_user = world.client_users.get(contact.pk)
        if channel == Channel.PORTAL and client_user is None:
            channel = Channel.WEB
        if client_user is not None and rng.random() < 0.5:
            channel = Channel.PORTAL
        if channel in (Channel.PHONE, Channel.AGENT):
            actor: User | None = self._dispatcher()
        elif channel == Channel.PORTAL:
            actor = client_user
        else:
            actor = None
        priority = problem.priority if problem.priority and rng.random() < 0.6 else _weighted(rng, PRIORITY_WEIGHTS)
        tags = set(problem.tags)
        if rng.random() < 0.3:
            tags.add(rng.choice(TAGS))
        fill = {"room": rng.choice(ROOMS), "temp": rng.randint(27, 33) if "Холод" not in problem.title else 14}
        title = problem.title.format(**fill)
        description = problem.description.format(**fill)
        if rng.random() < 0.3 and channel in (Channel.EMAIL, Channel.PORTAL, Channel.WEB):
            description += f"\n\nКонтактный телефон: {contact.primary_phone or company.phone}."
        received = created - timedelta(seconds=rng.randint(0, 240) if channel != Channel.PHONE else 0)
        timeline = Timeline(created=created, received=received, updated=created)
        category = world.categories[problem.category]
        kinds = CATEGORY_KINDS.get(problem.category, ())
        candidates = [u for u in self.units.get(site.pk if site else 0, []) if u.kind.code in kinds]
        equipment = rng.choice(candidates) if candidates and rng.random() < 0.75 else None
        ticket = services.ticket_create(
            actor=actor,
            title=title,
            description=description,
            channel=channel,
            priority=world.priorities[priority],
            type=world.types[problem.type],
            category=category,
            company=company,
            contact=contact,
            site=site,
            equipment=equipment,
            tags=sorted(tags),
            received_at=received,
        )
        self.timelines[ticket.pk] = timeline
        first_article = ticket.articles.get()
        timeline.articles.append((first_article.pk, created, received))
        self._events_at(created)
        if parent is not None:
            # A consequence of a mass incident: the dispatcher files it under the parent at once.
            at = created + timedelta(minutes=2)
            services.ticket_set_parent(ticket=ticket, actor=self._dispatcher(), parent=parent)
            self._at(at, ticket)
            self._events_at(at)
        self._story(ticket, timeline, age_days, problem, contact, client_user)
        return ticket

    def _story(
        self,
        ticket: Ticket,
        timeline: Timeline,
        age_days: float,
        problem: Problem,
        contact: Contact,
        client_user: User | None,
    ) -> None:
        """Play the ticket's life after creation: assignment, replies, notes, the final status.
        The final status follows the drawn age, so older tickets are mostly closed."""
        rng, world = self.rng, self.world
        weights = next(w for limit, w in STATUS_WEIGHTS_BY_AGE if age_days < limit)
        final = _weighted(rng, weights)
        if problem.priority == "critical" and final == "new" and age_days > 0.2:
            final = "open"  # nobody leaves a stuck lift untouched for hours
        team_code = next(code for code, team in world.teams.items() if team.pk == ticket.team_id)
        # The dispatcher is in every team to see every queue, but rarely takes the work herself.
        members = [m for m in world.team_members[team_code] if m.email != "dispatcher@demo.local" or rng.random() < 0.1]
        members = members or world.team_members[team_code] or world.dispatchers
        # Available time for the story, so nothing happens in the future.
        span = max((self.now - timeline.created).total_seconds() - 60, 60)
        clock = [timeline.created]

        def step(min_minutes: float, max_minutes: float) -> datetime:
            wanted = timedelta(minutes=rng.uniform(min_minutes, max_minutes))
            budget = timeline.created + timedelta(seconds=span) - clock[0]
            clock[0] += min(wanted, budget / 3)
            return clock[0]

        dispatcher = self._dispatcher()
        assignee: User | None = None
        followups = CLIENT_FOLLOWUP + (CLIENT_FOLLOWUP_INCIDENT if problem.type == "incident" else [])
        if final == "new":
            if rng.random() < 0.35:
                self._client_article(ticket, timeline, contact, client_user, step(10, 120), followups)
            return
        if final != "open" or rng.random() < 0.85:
            assignee = rng.choice(members)
            if team_code == "engineering" and problem.category == "lifts" and rng.random() < 0.3:
                assignee = world.staff["r.belov@demo.local"]  # the lift contractor
            at = step(2, 40)
            self._at(at, ticket)
            services.ticket_assign(ticket=ticket, actor=dispatcher, assignee=assignee)
            self._events_at(at)
        else:
            self._status(ticket, timeline, dispatcher, "open", step(2, 40))
        replier = assignee if assignee is not None and rng.random() < 0.5 else dispatcher
        fill = {"hour": rng.randint(13, 18), "minutes": rng.choice([30, 40, 60, 90])}
        self._agent_article(ticket, timeline, replier, step(3, 60), rng.choice(AGENT_ACK).format(**fill))
        thanks = final in ("resolved", "closed") and rng.random() < 0.4
        closing_articles = {"open": 0, "resolved": 1 + thanks, "closed": 1 + thanks}.get(final, 1)
        # At most six articles: the request, the acknowledgement, the middle, the closing ones.
        notes = rng.sample(NOTES[1:], len(NOTES) - 1)  # NOTES[0] ("part ordered") is kept for "delayed"
        questions = rng.sample(AGENT_QUESTION, len(AGENT_QUESTION))
        answers = rng.sample(CLIENT_ANSWER, len(CLIENT_ANSWER))
        followups = rng.sample(followups, len(followups))
        previous = "ack"
        for _ in range(rng.randint(0, 4 - closing_articles)):
            roll = rng.random()
            if previous == "question":  # a question gets its answer
                previous = "answer"
                self._client_article(ticket, timeline, contact, client_user, step(10, 180), [answers.pop()])
            elif roll < 0.4:
                previous = "note"
                author = assignee or dispatcher
                self._agent_article(ticket, timeline, author, step(20, 600), notes.pop(), ArticleKind.NOTE)
            elif roll < 0.75 and followups:
                previous = "followup"
                self._client_article(ticket, timeline, contact, client_user, step(30, 600), [followups.pop()])
            else:
                previous = "question"
                self._agent_article(ticket, timeline, replier, step(10, 300), questions.pop())
        if final == "waiting_client":
            self._agent_article(ticket, timeline, replier, step(10, 240), questions.pop())
            self._status(ticket, timeline, dispatcher, final, step(1, 5))
        elif final == "delayed":
            self._agent_article(ticket, timeline, assignee or dispatcher, step(10, 240), NOTES[0], ArticleKind.NOTE)
            self._status(
                ticket,
                timeline,
                assignee or dispatcher,
                final,
                step(1, 5),
                delayed_until=self.now + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8)),
            )
        elif final in ("resolved", "closed"):
            done_by = assignee or replier
            done = problem.done or AGENT_DONE[problem.category]
            self._agent_article(ticket, timeline, done_by, step(60, 1440), done)
            if thanks:
                # Thanks come before "resolved": a client message on a resolved ticket would reopen it.
                self._client_article(ticket, timeline, contact, client_user, step(10, 120), CLIENT_THANKS)
            self._status(ticket, timeline, done_by, "resolved", step(1, 10))
            if final == "closed":
                self._status(ticket, timeline, dispatcher, "closed", step(60, 2880))

    def _status(
        self,
        ticket: Ticket,
        timeline: Timeline,
        actor: User,
        code: str,
        at: datetime,
        delayed_until: datetime | None = None,
    ) -> None:
        status = self.world.statuses[code]
        self._at(at, ticket)
        services.ticket_set_status(ticket=ticket, actor=actor, status=status, delayed_until=delayed_until)
        self._events_at(at)
        if status.category == StatusCategory.RESOLVED:
            timeline.resolved = timeline.resolved or at
        elif status.category == StatusCategory.CLOSED:
            timeline.resolved = timeline.resolved or at
            timeline.closed = at
        else:
            timeline.resolved = timeline.closed = None

    def _agent_article(
        self,
        ticket: Ticket,
        timeline: Timeline,
        author: User,
        at: datetime,
        body: str,
        kind: str = ArticleKind.PUBLIC,
    ) -> None:
        article = services.article_create(ticket=ticket, author=author, body=body, kind=kind)
        timeline.articles.append((article.pk, at, at))
        if kind == ArticleKind.PUBLIC and timeline.first_response is None:
            timeline.first_response = at
        self._at(at, ticket)
        self._events_at(at)

    def _client_article(
        self,
        ticket: Ticket,
        timeline: Timeline,
        contact: Contact,
        client_user: User | None,
        at: datetime,
        texts: list[str],
    ) -> None:
        body = self.rng.choice(texts).format(hour=self.rng.randint(9, 19))
        if client_user is not None and ticket.channel == Channel.PORTAL:
            article = services.article_create(ticket=ticket, author=client_user, body=body)
            received = at
        else:
            channel = ticket.channel if ticket.channel not in (Channel.PHONE, Channel.AGENT, Channel.API) else "email"
            received = at - timedelta(seconds=self.rng.randint(5, 120))
            article = services.article_create(
                ticket=ticket, author=None, author_contact=contact, body=body, channel=channel, received_at=received
            )
        timeline.articles.append((article.pk, at, received))
        self._at(at, ticket)
        self._events_at(at)

    def _at(self, at: datetime, ticket: Ticket) -> None:
        timeline = self.timelines.get(ticket.pk)
        if timeline is not None and at > timeline.updated:
            timeline.updated = at

    def _events_at(self, at: datetime) -> None:
        """Date every event written since the last call (they belong to the step just played)."""
        TicketEvent.objects.filter(id__gt=self.last_event_id).update(created_at=at)
        self.last_event_id = TicketEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def _links(self) -> None:
        """A few "related" links between repeated problems of one company."""
        by_key: dict[tuple[int | None, str], list[Ticket]] = {}
        tickets = Ticket.objects.filter(pk__in=self.timelines, parent__isnull=True).order_by("number")
        for ticket in tickets:
            by_key.setdefault((ticket.company_id, ticket.title), []).append(ticket)
        pairs = [group[-2:] for group in by_key.values() if len(group) >= 2]
        self.rng.shuffle(pairs)
        for older, newer in pairs[:6]:
            # Linked when the dispatcher reviews the repeat, after both tickets' latest activity.
            latest = max(self.timelines[newer.pk].updated, self.timelines[older.pk].updated)
            at = min(latest + timedelta(minutes=10), self.now - timedelta(seconds=30))
            services.ticket_link(ticket=newer, actor=self._dispatcher(), other=older)
            self._events_at(at)
            TicketLink.objects.filter(source=newer, target=older).update(created_at=at)

    def _apply_timelines(self) -> None:
        for ticket_id, timeline in self.timelines.items():
            Ticket.objects.filter(pk=ticket_id).update(
                created_at=timeline.created,
                received_at=timeline.received,
                updated_at=timeline.updated,
                first_response_at=timeline.first_response,
                resolved_at=timeline.resolved,
                closed_at=timeline.closed,
            )
            for article_id, created, received in timeline.articles:
                Article.objects.filter(pk=article_id).update(created_at=created, received_at=received)


def seed_client_base(
    rng: random.Random,
    companies: list[tuple[Company, list[Site]]],
    *,
    managers: list[User],
    today: date,
    categories: dict[str, ServiceCategory],
) -> dict[int, list[Equipment]]:
    """Company categories, a price list, equipment at every site (a building with its units) and
    contracts of every shape a dispatcher meets: company-wide with monthly hours, one site and some
    services only, one with a debt, an expired one, and one listing its units. Returns the units
    by site id."""
    company_categories = {
        code: CompanyCategory.objects.get_or_create(code=code, defaults={"name_ru": ru, "name_en": en, "is_vip": vip})[
            0
        ]
        for code, ru, en, vip in COMPANY_CATEGORIES
    }
    price_list = PriceList.objects.create(name=f"Дополнительные работы {today.year}")
    PriceListItem.objects.bulk_create(
        PriceListItem(price_list=price_list, name=name, unit=unit, price=price, code=code)
        for name, unit, price, code in [
            ("Выезд инженера", "выезд", 2500, "V-01"),
            ("Час работы сверх договора", "ч", 1800, "H-01"),
            ("Заправка фреоном", "кг", 1500, "M-03"),
            ("Замена фильтра", "шт.", 900, "M-07"),
            ("Замена картриджа", "шт.", 1200, "IT-02"),
            ("Диагностика оборудования", "шт.", 1500, "D-01"),
        ]
    )
    kinds = {k.code: k for k in EquipmentKind.objects.all()}
    units_by_site: dict[int, list[Equipment]] = {}
    year_start, year_end = today.replace(month=1, day=1), today.replace(month=12, day=31)
    for index, (company, sites) in enumerate(companies):
        company.category = company_categories[("vip", "key", "retail")[index % 5]] if index % 5 < 3 else None
        company.kpp = (company.inn[:4] + "01001") if company.inn else ""
        company.account_manager = managers[index % len(managers)] if managers else None
        company.external_id = f"1C-{100 + index:05d}"
        company.portal_qr_requires_login = index != 1
        company.save(update_fields=["category", "kpp", "account_manager", "external_id", "portal_qr_requires_login"])
        numbering = 0
        for site in sites:
            building = Equipment.objects.create(
                company=company,
                site=site,
                kind=kinds["building"],
                name=f"Здание — {site.name}",
                inventory_number=f"ИНВ-{index:02d}{numbering:04d}",
            )
            numbering += 1
            units = [building]
            for code, name, models, parameters in rng.sample(EQUIPMENT, k=rng.randint(3, 5)):
                manufacturer, model = rng.choice(models)
                for copy in range(1 if code in ("heating", "electrical", "server") else rng.randint(1, 3)):
                    responsible = Responsible.CONTRACTOR if code == "lift" and index % 4 == 3 else Responsible.US
                    units.append(
                        Equipment.objects.create(
                            company=company,
                            site=site,
                            parent=building,
                            kind=kinds[code],
                            name=f"{name} №{copy + 1}",
                            manufacturer=manufacturer,
                            model=model,
                            serial_number=f"{manufacturer[:3].upper()}{rng.randint(100000, 999999)}",
                            inventory_number=f"ИНВ-{index:02d}{numbering:04d}",
                            location=f"{rng.randint(1, 9)} этаж" if code != "heating" else "Подвал",
                            parameters={key: rng.choice(values) for key, values in parameters.items()},
                            installed_on=today - timedelta(days=rng.randint(200, 2500)),
                            warranty_until=today + timedelta(days=rng.randint(-400, 500))
                            if rng.random() < 0.6
                            else None,
                            responsible=responsible,
                            contractor_name="ООО «ЛифтСервис»" if responsible == Responsible.CONTRACTOR else "",
                        )
                    )
                    numbering += 1
            units_by_site[site.pk] = units
        shape = index % 5
        number = f"ТО-{today.year}/{index + 1:02d}"
        if shape == 0:
            Contract.objects.create(
                company=company, number=number, title="Комплексное техническое обслуживание", starts_on=year_start,
                ends_on=year_end, included_hours=40, hours_period=HoursPeriod.MONTH, price_list=price_list,
            )  # fmt: skip
        elif shape == 1:
            contract = Contract.objects.create(
                company=company, number=number, title="Климат и вентиляция", starts_on=year_start, ends_on=year_end,
                all_sites=False, included_hours=16, hours_period=HoursPeriod.MONTH, price_list=price_list,
            )  # fmt: skip
            contract.sites.set(sites[:1])
            contract.services.set([c for code, c in categories.items() if code in ("hvac", "ventilation")])
        elif shape == 2:
            Contract.objects.create(
                company=company, number=number, title="Абонентское обслуживание", starts_on=year_start,
                ends_on=year_end, price_list=price_list, payment_state=PaymentState.DEBT, debt_amount=48500,
            )  # fmt: skip
        elif shape == 3:
            Contract.objects.create(
                company=company, number=f"ТО-{today.year - 1}/{index + 1:02d}", title="Обслуживание (не продлён)",
                starts_on=year_start.replace(year=today.year - 1), ends_on=year_start - timedelta(days=1),
                status=ContractStatus.CLOSED,
            )  # fmt: skip
        else:
            contract = Contract.objects.create(
                company=company, number=number, title="Обслуживание лифтов и ИТП", starts_on=year_start,
                ends_on=year_end, all_equipment=False, included_hours=120, hours_period=HoursPeriod.YEAR,
            )  # fmt: skip
            listed = [u for site in sites for u in units_by_site[site.pk] if u.kind.code in ("lift", "heating")]
            contract.equipment.set(listed)
    return units_by_site


# Policy, order, VIP only, {priority code: (first response min, resolution min)}
SLA_POLICIES = [
    (
        "VIP-клиенты",
        10,
        True,
        {"critical": (15, 4 * 60), "high": (30, 8 * 60), "normal": (60, 16 * 60), "low": (240, 40 * 60)},
    ),
    (
        "Стандарт",
        100,
        False,
        {"critical": (30, 8 * 60), "high": (60, 16 * 60), "normal": (240, 40 * 60), "low": (480, 80 * 60)},
    ),
]


def seed_sla_policies(*, supervisor: User | None) -> None:
    """Two policies on the default (Russian production) calendar: VIP clients first, then
    everyone. Critical first responses count in calendar minutes; the rest in business time.
    Critical not taken in 5 minutes escalates to the team supervisor."""
    from sla.models import EscalationTrigger, SlaEscalation, SlaPolicy, SlaTarget
    from sla.policies import snapshot_reset

    priorities = {p.code: p for p in Priority.objects.all()}
    for name, order, vip_only, targets in SLA_POLICIES:
        policy = SlaPolicy.objects.create(name=name, order=order, vip_only=vip_only, warn_percent=80)
        for code, (first, resolution) in targets.items():
            SlaTarget.objects.create(
                policy=policy,
                priority=priorities[code],
                first_response_minutes=first,
                first_response_business=code != "critical",
                next_response_minutes=first * 2,
                resolution_minutes=resolution,
            )
        SlaEscalation.objects.create(
            policy=policy,
            target="first_response",
            trigger=EscalationTrigger.AFTER_START,
            minutes=5,
            priority=priorities["critical"],
            notify_assignee=False,
            notify_supervisor=True,
            notify_user=supervisor,
        )
        SlaEscalation.objects.create(
            policy=policy,
            target="resolution",
            trigger=EscalationTrigger.AFTER_BREACH,
            minutes=0,
            notify_supervisor=True,
        )
    snapshot_reset()


def mark_past_sla_moments_fired(tickets: Any, now: datetime) -> None:
    """The demo's history happened before the product was installed: record its past warnings
    and escalations as already fired, so the first sweep does not send a flood of them."""
    from sla.models import SlaFiring
    from sla.services import ticket_sla_evaluate

    rows = []
    for ticket in tickets.select_related("company", "site"):
        _rule, _result, moments = ticket_sla_evaluate(ticket, now=now)
        rows += [
            SlaFiring(
                ticket=ticket, target=m.target, level=m.level, episode=m.episode, fired_at=m.at, escalation=m.escalation
            )
            for m in moments
            if m.at <= now - timedelta(hours=1)
        ]
    SlaFiring.objects.bulk_create(rows, ignore_conflicts=True)
    for ticket in tickets.select_related("company", "site"):
        ticket_sla_refresh(ticket)


def seed_works(rng: random.Random, tickets: Any) -> None:
    """Labour (and now and then a billed extra) on the resolved tickets covered by a contract."""
    works = []
    for ticket in tickets.filter(contract__isnull=False, resolved_at__isnull=False).select_related("contract"):
        if rng.random() > 0.7:
            continue
        day = timezone.localdate(ticket.resolved_at)
        works.append(
            TicketWork(
                ticket=ticket,
                contract=ticket.contract,
                name="Выезд и устранение неисправности",
                hours=Decimal(rng.choice(["1", "1.5", "2", "3"])),
                performed_by=ticket.assignee,
                performed_on=day,
            )
        )
        if rng.random() < 0.25:
            works.append(
                TicketWork(
                    ticket=ticket,
                    contract=ticket.contract,
                    name="Замена фильтра",
                    quantity=rng.randint(1, 4),
                    unit="шт.",
                    price=900,
                    total=0,
                    is_billable=True,
                    performed_by=ticket.assignee,
                    performed_on=day,
                )
            )
    for work in works:
        work.save()


# Transliteration for the demo email logins ("Елена Орлова" -> "e.orlova").
_LATIN = "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh sch - y - e yu ya"
_TRANSLIT = {
    cyrillic: latin.strip("-")
    for cyrillic, latin in zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN.split(" "), strict=True)
}


def _latin_login(full_name: str) -> str:
    """The first initial and the last name in Latin letters: "Елена Орлова" gives "e.orlova"."""
    parts = full_name.lower().split()
    translit = ["".join(_TRANSLIT.get(ch, ch) for ch in part) for part in parts]
    return f"{translit[0][0]}.{translit[-1]}"


def _mobile(rng: random.Random) -> str:
    return f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
