"""What a complaint is about and where: Russian (and English) text reduced to topic stems and a
location (floor, room), and the similarity of two complaints. See docs/architecture/assignment.md,
"Repeated complaints".

- Normalise: lower case, ё → е; floors ("3 этаж", "на третьем этаже", "этаж 3", "3rd floor") and
  rooms ("каб. 204", "кабинет 204", "помещение 12", "room 5") are taken out as the location.
- Topic: the remaining words, stop words dropped, stemmed by Snowball (tickets/search.py's
  stemmer), then folded through a small thesaurus of how people describe the same facility fault
  ("мигает", "моргает", "мерцает" are one thing; so are "свет", "освещение", "лампы").
- Similarity: cosine of the two sets of topic stems (|A∩B| / √(|A|·|B|)); it does not punish a
  longer complaint for its extra words as much as Jaccard does.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from tickets.search import _stem

WORD_RE = re.compile(r"[a-zа-я0-9]+")
_ORDINALS = {
    "перв": 1,
    "втор": 2,
    "трет": 3,
    "четверт": 4,
    "пят": 5,
    "шест": 6,
    "седьм": 7,
    "восьм": 8,
    "девят": 9,
    "десят": 10,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
}
_ORDINAL_WORD = r"(?:" + "|".join(_ORDINALS) + r")[a-zа-я]*"
FLOOR_PATTERNS = (
    re.compile(r"\b(\d{1,3})\s*(?:-?\s*(?:й|ий|ый|ой|м|ом|ем|ем|st|nd|rd|th))?\s*(?:этаж[а-я]*|floor)\b"),
    re.compile(r"\b(?:этаж[а-я]*|floor)\s*(?:№\s*)?(\d{1,3})\b"),
    re.compile(r"\b(" + _ORDINAL_WORD + r")\s+(?:этаж[а-я]*|floor)\b"),
    re.compile(r"\b(подвал[а-я]*|цокол[а-я]*|basement|чердак[а-я]*|крыш[а-я]*|roof)\b"),
)
ROOM_PATTERN = re.compile(
    r"\b(?:кабинет[а-я]*|каб|комнат[а-я]*|комн|помещени[а-я]*|пом|офис[а-я]*|аудитори[а-я]*|ауд|room|office)"
    r"\.?\s*(?:№\s*)?(\d{1,5}[а-яa-z]?)\b"
)
_LEVELS = {"подвал": "B", "цокол": "B", "basement": "B", "чердак": "R", "крыш": "R", "roof": "R"}

_STOP_WORDS_TEXT = """
    а без более бы был была были было быть в вам вас весь во вот все всё всего всех вы где да даже
    для до его ее её ей если есть еще ещё же за здесь и из или им их к как ко когда кто ли либо мне
    может мы на над надо наш наша наше наши не него нет ни них но ну о об однако он она они оно от
    очень по под при с со так также такой там те тем то того тоже той только том ты у уже хотя чего
    чей чем что чтобы чье чья эта эти это этот я уже опять снова сегодня вчера сейчас весь всё
    здравствуйте добрый день утро вечер пожалуйста просьба прошу просим срочно помогите спасибо
    уважаемые коллеги нам который которая которые проблема вопрос заявка починить почините исправить
    исправьте отремонтировать посмотреть посмотрите the a an is are was were be been on in at of to
    and or not no please it its there this that
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# One fault, many words. Each group's words are stemmed at import; a stem in a group stands for
# the group's name in the comparison.
THESAURUS = {
    "flicker": (
        "мигает мигают мигать мигание моргает моргают моргание мерцает мерцают мерцание flicker "
        "flickers flickering blinking"
    ),
    "light": (
        "свет света освещение освещения лампа лампы лампочка лампочки светильник светильники люстра "
        "light lights lighting lamp lamps"
    ),
    "no_power": (
        "электричество электричества электроэнергия электроэнергии напряжение розетка розетки "
        "выбило power outage socket"
    ),
    "leak": (
        "течет течёт протекает протекают капает капает протечка протечки течь затопило топит leak "
        "leaks leaking dripping"
    ),
    "heating": "отопление отопления батарея батареи радиатор радиаторы heating radiator radiators",
    "cold": "холодно холод прохладно мерзнем cold freezing",
    "hot": "жарко жара душно духота hot stuffy",
    "aircon": "кондиционер кондиционера кондиционеры сплит сплитсистема кондей conditioner aircon ac",
    "lift": "лифт лифта лифты подъемник elevator lift",
    "stuck": "застрял застряли застрял stuck",
    "smell": "запах запаха пахнет воняет вонь гарь гарью smell smells",
    "noise": "шум шумит гудит гул скрипит noise noisy humming",
    "door": "дверь двери замок турникет турникеты door doors lock turnstile",
    "water": "вода воды водой water",
    "broken": "сломан сломался сломалась сломалось сломано поломка неисправен неисправность broken",
    "not_working": "работает работают работать включается включаются горит горят гаснет погас погасло working works",
}


@lru_cache(maxsize=1)
def _thesaurus() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for group, words in THESAURUS.items():
        for word in words.split():
            mapping.setdefault(_stem(word), group)
    return mapping


@dataclass(frozen=True)
class Complaint:
    topic: frozenset[str]
    floors: frozenset[str]
    rooms: frozenset[str]

    @property
    def has_location(self) -> bool:
        return bool(self.floors or self.rooms)


def normalize(text: str) -> str:
    return (text or "").lower().replace("ё", "е")


def _floor_value(raw: str) -> str:
    if raw.isdigit():
        return str(int(raw))
    for prefix, number in _ORDINALS.items():
        if raw.startswith(prefix):
            return str(number)
    for prefix, level in _LEVELS.items():
        if raw.startswith(prefix):
            return level
    return raw


@lru_cache(maxsize=4096)
def complaint_of(text: str) -> Complaint:
    """The topic stems and the location (floors, rooms) of a complaint's text."""
    text = normalize(text)
    floors: set[str] = set()
    rooms: set[str] = set()
    for pattern in FLOOR_PATTERNS:
        for match in pattern.finditer(text):
            floors.add(_floor_value(match.group(1)))
        text = pattern.sub(" ", text)
    for match in ROOM_PATTERN.finditer(text):
        rooms.add(match.group(1))
    text = ROOM_PATTERN.sub(" ", text)
    thesaurus = _thesaurus()
    topic = set()
    for word in WORD_RE.findall(text):
        if word in STOP_WORDS or word.isdigit() or len(word) < 2:
            continue
        stem = _stem(word)
        topic.add(thesaurus.get(stem, stem))
    return Complaint(topic=frozenset(topic), floors=frozenset(floors), rooms=frozenset(rooms))


def topic_similarity(a: Complaint, b: Complaint) -> float:
    if not a.topic or not b.topic:
        return 0.0
    return len(a.topic & b.topic) / math.sqrt(len(a.topic) * len(b.topic))


def location_relation(a: Complaint, b: Complaint) -> str:
    """ "same" when both name a floor or room and they share one, "different" when both name
    them and share none, "unknown" when either names none."""
    for mine, theirs in ((a.rooms, b.rooms), (a.floors, b.floors)):
        if mine and theirs:
            return "same" if mine & theirs else "different"
    return "unknown"


def similar(a: Complaint, b: Complaint, *, threshold: float) -> bool:
    """Two complaints about the same fault: different named locations never are; the same
    named location halves the text-similarity threshold (where it is, is evidence too)."""
    relation = location_relation(a, b)
    if relation == "different":
        return False
    needed = threshold / 2 if relation == "same" else threshold
    return topic_similarity(a, b) >= needed
