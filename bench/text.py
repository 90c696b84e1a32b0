"""Russian facility-maintenance text for the benchmark data: titles, requests, replies and notes
about one piece of equipment per ticket, with the nouns in different grammatical cases so full-text
search by another word form ("кондиционеры" for "кондиционера") is exercised.

Sentences are generated once into pools per (equipment, role); a message is one to three pool
sentences, which keeps generating three million messages cheap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Equipment:
    category: str  # service category code, see core/management/commands/seed_demo.py CATEGORIES
    nom: str  # кондиционер
    gen: str  # кондиционера
    acc: str  # кондиционер
    ins: str  # кондиционером
    pre: str  # кондиционере
    plural: bool = False  # "ворота" takes plural verbs


EQUIPMENT = [
    Equipment("hvac", "кондиционер", "кондиционера", "кондиционер", "кондиционером", "кондиционере"),
    Equipment("hvac", "сплит-система", "сплит-системы", "сплит-систему", "сплит-системой", "сплит-системе"),
    Equipment("hvac", "чиллер", "чиллера", "чиллер", "чиллером", "чиллере"),
    Equipment("hvac", "фанкойл", "фанкойла", "фанкойл", "фанкойлом", "фанкойле"),
    Equipment("ventilation", "вентилятор", "вентилятора", "вентилятор", "вентилятором", "вентиляторе"),
    Equipment(
        "ventilation",
        "приточная установка",
        "приточной установки",
        "приточную установку",
        "приточной установкой",
        "приточной установке",
    ),
    Equipment("ventilation", "вытяжка", "вытяжки", "вытяжку", "вытяжкой", "вытяжке"),
    Equipment("heating", "радиатор", "радиатора", "радиатор", "радиатором", "радиаторе"),
    Equipment("heating", "бойлер", "бойлера", "бойлер", "бойлером", "бойлере"),
    Equipment(
        "heating",
        "водонагреватель",
        "водонагревателя",
        "водонагреватель",
        "водонагревателем",
        "водонагревателе",
    ),
    Equipment("heating", "циркуляционный насос", "циркуляционного насоса", "циркуляционный насос", "циркуляционным насосом", "циркуляционном насосе"),  # noqa: E501
    Equipment("electric", "электрощит", "электрощита", "электрощит", "электрощитом", "электрощите"),
    Equipment("electric", "автомат", "автомата", "автомат", "автоматом", "автомате"),
    Equipment("electric", "розетка", "розетки", "розетку", "розеткой", "розетке"),
    Equipment("electric", "генератор", "генератора", "генератор", "генератором", "генераторе"),
    Equipment("electric", "ИБП", "ИБП", "ИБП", "ИБП", "ИБП"),
    Equipment("lighting", "светильник", "светильника", "светильник", "светильником", "светильнике"),
    Equipment("lighting", "прожектор", "прожектора", "прожектор", "прожектором", "прожекторе"),
    Equipment(
        "lighting",
        "световая вывеска",
        "световой вывески",
        "световую вывеску",
        "световой вывеской",
        "световой вывеске",
    ),
    Equipment("plumbing", "смеситель", "смесителя", "смеситель", "смесителем", "смесителе"),
    Equipment("plumbing", "унитаз", "унитаза", "унитаз", "унитазом", "унитазе"),
    Equipment("plumbing", "труба", "трубы", "трубу", "трубой", "трубе"),
    Equipment("plumbing", "канализация", "канализации", "канализацию", "канализацией", "канализации"),
    Equipment("lifts", "лифт", "лифта", "лифт", "лифтом", "лифте"),
    Equipment("lifts", "грузовой лифт", "грузового лифта", "грузовой лифт", "грузовым лифтом", "грузовом лифте"),
    Equipment("lifts", "эскалатор", "эскалатора", "эскалатор", "эскалатором", "эскалаторе"),
    Equipment("gates", "шлагбаум", "шлагбаума", "шлагбаум", "шлагбаумом", "шлагбауме"),
    Equipment("gates", "ворота", "ворот", "ворота", "воротами", "воротах", plural=True),
    Equipment("gates", "турникет", "турникета", "турникет", "турникетом", "турникете"),
    Equipment("gates", "домофон", "домофона", "домофон", "домофоном", "домофоне"),
    Equipment("it", "касса", "кассы", "кассу", "кассой", "кассе"),
    Equipment(
        "it", "терминал оплаты", "терминала оплаты", "терминал оплаты", "терминалом оплаты", "терминале оплаты"
    ),
    Equipment("it", "принтер", "принтера", "принтер", "принтером", "принтере"),
    Equipment("it", "роутер", "роутера", "роутер", "роутером", "роутере"),
    Equipment("it", "видеокамера", "видеокамеры", "видеокамеру", "видеокамерой", "видеокамере"),
    Equipment("it", "видеорегистратор", "видеорегистратора", "видеорегистратор", "видеорегистратором", "видеорегистраторе"),  # noqa: E501
    Equipment("cleaning", "контейнерная площадка", "контейнерной площадки", "контейнерную площадку", "контейнерной площадкой", "контейнерной площадке"),  # noqa: E501
    Equipment("cleaning", "витрина", "витрины", "витрину", "витриной", "витрине"),
    Equipment("other", "холодильник", "холодильника", "холодильник", "холодильником", "холодильнике"),
    Equipment("other", "кофемашина", "кофемашины", "кофемашину", "кофемашиной", "кофемашине"),
    Equipment("other", "пожарная сигнализация", "пожарной сигнализации", "пожарную сигнализацию", "пожарной сигнализацией", "пожарной сигнализации"),  # noqa: E501
    Equipment("other", "дверной доводчик", "дверного доводчика", "дверной доводчик", "дверным доводчиком", "дверном доводчике"),  # noqa: E501
]  # fmt: skip

# (singular, plural) verb phrases
SYMPTOMS = [
    ("не работает", "не работают"),
    ("не включается", "не включаются"),
    ("сильно шумит", "сильно шумят"),
    ("течёт", "текут"),
    ("выдаёт ошибку {code}", "выдают ошибку {code}"),
    ("периодически отключается", "периодически отключаются"),
    ("перегревается", "перегреваются"),
    ("гудит и вибрирует", "гудят и вибрируют"),
    ("искрит", "искрят"),
    ("мигает", "мигают"),
    ("работает с перебоями", "работают с перебоями"),
    ("не работает после ремонта", "не работают после ремонта"),
    ("не реагирует на пульт", "не реагируют на пульт"),
    ("пахнет гарью", "пахнут гарью"),
]
# (nominative, genitive, accusative)
PARTS = [
    ("компрессор", "компрессора", "компрессор"),
    ("фильтр", "фильтра", "фильтр"),
    ("плата управления", "платы управления", "плату управления"),
    ("датчик температуры", "датчика температуры", "датчик температуры"),
    ("конденсатор", "конденсатора", "конденсатор"),
    ("ремень привода", "ремня привода", "ремень привода"),
    ("предохранитель", "предохранителя", "предохранитель"),
    ("фотоэлемент", "фотоэлемента", "фотоэлемент"),
    ("блок питания", "блока питания", "блок питания"),
    ("прокладка", "прокладки", "прокладку"),
    ("термостат", "термостата", "термостат"),
    ("электродвигатель", "электродвигателя", "электродвигатель"),
    ("дренажный насос", "дренажного насоса", "дренажный насос"),
    ("аккумулятор", "аккумулятора", "аккумулятор"),
    ("контактор", "контактора", "контактор"),
    ("драйвер", "драйвера", "драйвер"),
    ("подшипник", "подшипника", "подшипник"),
    ("картридж", "картриджа", "картридж"),
]
CAUSES = [
    "засорился дренаж",
    "утечка фреона",
    "сгорел предохранитель",
    "вышел из строя датчик",
    "окислились контакты",
    "износ подшипника",
    "перегрузка сети",
    "сбой прошивки",
    "обрыв кабеля",
    "забит фильтр",
    "неисправен блок питания",
    "попала влага",
    "ослабло крепление",
    "замыкание в проводке",
]
ROOMS = [
    "в переговорной",
    "в торговом зале",
    "в серверной",
    "в кабинете {number}",
    "в зале ожидания",
    "на кухне",
    "на складе",
    "в холле",
    "в раздевалке",
    "в кабинете директора",
    "в коридоре",
    "у кассовой зоны",
    "в подвале",
    "на парковке",
    "в офисе {number}",
    "в лаборатории",
    "в ресторане",
    "в фитнес-зале",
    "в номере {number}",
    "в процедурном кабинете",
]
BRANDS = {
    "hvac": ["Daikin", "Mitsubishi Electric", "Haier", "LG", "Ballu", "Carrier"],
    "ventilation": ["Systemair", "Vents", "Shuft", "Breezart"],
    "heating": ["Ariston", "Grundfos", "Wilo", "Baxi", "Buderus"],
    "electric": ["Schneider Electric", "ABB", "IEK", "Legrand", "APC"],
    "lighting": ["Philips", "Osram", "Feron", "Световые технологии"],
    "plumbing": ["Grohe", "Hansgrohe", "Vitra", "Jika"],
    "lifts": ["Otis", "KONE", "Schindler", "ЩЛЗ", "МЛМ"],
    "gates": ["Came", "Nice", "DoorHan", "BFT", "Болид"],
    "it": ["Атол", "Эвотор", "Штрих-М", "Ingenico", "HP", "Kyocera", "MikroTik", "Hikvision", "Dahua"],
    "cleaning": ["Kärcher", "Tork"],
    "other": ["Bosch", "Liebherr", "De'Longhi", "Рубеж", "Dorma"],
}
PEOPLE = [
    "Сергей Волков",
    "Дмитрий Соколов",
    "Алексей Попов",
    "Игорь Новиков",
    "Виктор Егоров",
    "Никита Фёдоров",
    "Павел Козлов",
    "Андрей Зуев",
    "Михаил Крылов",
    "Олег Сорокин",
]
DAYS = ["понедельник", "вторник", "среду", "четверг", "пятницу", "субботу"]
GREETINGS = ["Добрый день!", "Здравствуйте!", "Добрый вечер!", "Коллеги, добрый день!", ""]

CLIENT_TEMPLATES = [
    "{Nom} {room} {symptom}.",
    "С утра {nom} {symptom}, просим срочно прислать специалиста.",
    "Уже второй день {nom} {symptom}.",
    "После отключения электричества {nom} {symptom}.",
    "На {floor} этаже {nom} {symptom}, сотрудники жалуются.",
    "Проблема с {ins} {room}: {symptom}.",
    "Прошу проверить {acc} {room}.",
    "Оборудование {brand}, куплено в {year} году.",
    "Нужна диагностика {gen}, проблема повторяется.",
    "Из-за {gen} остановилась работа, клиенты ждут.",
    "В {pre} что-то щёлкает, потом {symptom}.",
    "Есть новости по заявке? {Nom} по-прежнему {symptom}.",
    "Инженер приезжал, но {nom} снова {symptom}.",
    "Спасибо, {nom} работает, претензий нет.",
    "Доступ в помещение с {hour}:00, на входе охрана, пропуск закажем.",
    "Фото {gen} и код ошибки отправили на почту.",
    "Можно перенести визит на {day}? Сегодня у нас проверка.",
    "Рядом с {ins} протечка, подставили ведро.",
]
AGENT_TEMPLATES = [
    "{greeting} Заявку приняли, инженер {person} выедет к вам {when}.",
    "Проверили {acc}: {cause}. Заменили {part_acc}, {nom} работает.",
    "Заказали {part_acc} для {gen}, срок поставки {days} дня.",
    "Подскажите, пожалуйста, модель {gen} и код ошибки на дисплее.",
    "Выезд согласован на {day} с {hour}:00 до {hour2}:00.",
    "Провели диагностику {gen}, причина: {cause}.",
    "Работы выполнены, {nom} в штатном режиме. Просим подтвердить.",
    "{greeting} Инженер {person} на объекте, приступил к работам.",
    "По {pre} нужна замена {part_gen}, отправили смету на согласование.",
    "Благодарим за ожидание: после замены {part_gen} оборудование работает.",
    "Устранили протечку возле {gen}, пол просушили.",
]
NOTE_TEMPLATES = [
    "Нужна замена {part_gen}, запросил цену у поставщика {brand}.",
    "{Nom} на гарантии до {year2} года, пишем в сервис {brand}.",
    "Клиент просит звонить заранее, пропуск через охрану.",
    "Повторная поломка {gen} за месяц, проверить договор ТО.",
    "{part_nom} есть на складе, инженер {person} заберёт утром.",
    "Причина, похоже: {cause}. Нужен второй инженер.",
    "Ключи от технического помещения у охраны, код {number}.",
]
TITLE_TEMPLATES = [
    "{Nom} {symptom}",
    "Не работает {nom} {room}",
    "{Nom}: ошибка {code}",
    "{Nom} {room} {symptom}",
    "Срочно: {nom} {symptom}",
    "Замена {part_gen} {gen}",
    "Диагностика {gen}",
    "Ремонт {gen} {room}",
]
WHEN = ["сегодня до {hour}:00", "завтра утром", "в течение часа", "после обеда", "в {day}"]


class TextPools:
    """Pools of generated sentences per equipment and role; drawing from them is one call."""

    def __init__(self, rng: random.Random, *, per_pool: int = 400) -> None:
        self.rng = rng
        self.titles: list[list[str]] = []
        self.client: list[list[str]] = []
        self.agent: list[list[str]] = []
        self.note: list[list[str]] = []
        for equipment in EQUIPMENT:
            self.titles.append(self._pool(equipment, TITLE_TEMPLATES, per_pool // 4))
            self.client.append(self._pool(equipment, CLIENT_TEMPLATES, per_pool))
            self.agent.append(self._pool(equipment, AGENT_TEMPLATES, per_pool))
            self.note.append(self._pool(equipment, NOTE_TEMPLATES, per_pool // 2))
        for pools in (self.titles, self.client, self.agent, self.note):
            for pool in pools:
                # The seeder writes sentences into COPY text lines unescaped.
                assert not any(ch in sentence for sentence in pool for ch in "\t\n\r\\"), pool

    def _pool(self, equipment: Equipment, templates: list[str], size: int) -> list[str]:
        return sorted({self._sentence(equipment, self.rng.choice(templates)) for _ in range(size)})

    def _sentence(self, e: Equipment, template: str) -> str:
        rng = self.rng
        part = rng.choice(PARTS)
        symptom = rng.choice(SYMPTOMS)[1 if e.plural else 0]
        hour = rng.randint(8, 18)
        values = {
            "nom": e.nom,
            "Nom": e.nom[0].upper() + e.nom[1:],
            "gen": e.gen,
            "acc": e.acc,
            "ins": e.ins,
            "pre": e.pre,
            "symptom": symptom.format(code=_code(rng)),
            "code": _code(rng),
            "room": rng.choice(ROOMS).format(number=rng.randint(100, 999)),
            "floor": rng.randint(1, 25),
            "brand": rng.choice(BRANDS[e.category]),
            "year": rng.randint(2012, 2024),
            "year2": rng.randint(2025, 2028),
            "hour": hour,
            "hour2": hour + rng.randint(1, 4),
            "day": rng.choice(DAYS),
            "days": rng.randint(2, 4),
            "person": rng.choice(PEOPLE),
            "cause": rng.choice(CAUSES),
            "part_nom": part[0][0].upper() + part[0][1:],
            "part_gen": part[1],
            "part_acc": part[2],
            "number": rng.randint(1000, 9999),
            "greeting": rng.choice(GREETINGS),
        }
        values["when"] = rng.choice(WHEN).format(**values)
        text = template.format(**values).strip()
        return text[0].upper() + text[1:]

    def title(self, equipment_index: int) -> str:
        return self.rng.choice(self.titles[equipment_index])

    def message(self, equipment_index: int, role: str) -> str:
        pool = {"client": self.client, "agent": self.agent, "note": self.note}[role][equipment_index]
        return " ".join(self.rng.choices(pool, k=self.rng.choice((1, 2, 2, 3))))


def _code(rng: random.Random) -> str:
    return rng.choice("EFHPCL") + str(rng.randint(1, 99))


# Search queries of the benchmark: other word forms than the ones generated, common and rare words,
# two-word queries, a brand.
SEARCH_QUERIES = [
    "кондиционеры",
    "кондиционер шумит",
    "лифты",
    "лифтом",
    "шлагбаумы",
    "протечки",
    "трубами",
    "радиаторов",
    "компрессоры",
    "фреоном",
    "светильников",
    "кассами",
    "терминалы оплаты",
    "принтеров",
    "видеокамерами",
    "домофоны",
    "эскалаторы",
    "генераторов",
    "розетками",
    "смесителей",
    "вентиляторами",
    "водонагревателей",
    "Daikin",
    "Hikvision",
    "подшипники",
    "контакторы",
    "фотоэлементы",
    "сигнализациями",
    "перегреваются",
    "Otis",
    "шлагбаум не реагирует",
    "гарантией",
]
