"""English dates as the agents' screens write them in both languages (day.month.year, 24-hour
clock: Otklik's users are in Russia and its neighbours), not Django's US "12/07/2026 8:20 p.m."
— so a client's page and an agent's page show the same moment the same way."""

DATE_FORMAT = "j E Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "j E Y, H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
TIME_FORMAT = "H:i"
# Input formats stay Django's English ones (forms post ISO dates from <input type="date">).
