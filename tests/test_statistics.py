"""The statistics page: figures of a hand-built set of chats, each checked exactly; who sees
which regions; every CSV equals its table; a bad period is refused in Dutch."""

import csv
import io
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import update

from backend import db
from backend.models import Chat, ChatStatus, Registration, Worker, WorkerRole
from tests.helpers import log_in, text_of

# Two local weeks around the end of summer time (Sunday 25 October 2026, 03:00 CEST → 02:00 CET).
PERIOD = {"first": "2026-10-19", "last": "2026-11-01"}
KEYS = [
    "weekly",
    "chats",
    "waiting",
    "durations",
    "under-18",
    "asked-by",
    "topics",
    "kinds",
    "heatmap",
]


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# (region, created UTC, seconds until accepted, minutes of chat, registration or None);
# accepted None: left while waiting. The comments give the local time.
CHATS = [
    # Mon 19 Oct 00:15 CEST: on the first day of the period, still the day before in UTC.
    ("DEMO", utc(2026, 10, 18, 22, 15), 60, 4, ("serious", "partner", "victim", "no")),
    # Sun 25 Oct 01:30 CEST, before the clocks go back: a Saturday in UTC.
    ("DEMO", utc(2026, 10, 24, 23, 30), 120, 17, ("serious", "child_abuse", "victim", "yes")),
    # Sun 25 Oct 14:00 CET, after the clocks went back.
    ("DEMO", utc(2026, 10, 25, 13, 0), 300, 62, ("prank", None, None, None)),
    # Mon 26 Oct 00:30 CET: the next week here, still Sunday in UTC. Left while waiting.
    ("DEMO", utc(2026, 10, 25, 23, 30), None, None, None),
    # Wed 28 Oct 12:00 CET.
    ("DEMO", utc(2026, 10, 28, 11, 0), 30, 25, ("serious", "partner", "bystander", "unknown")),
    # Mon 2 Nov 00:10 CET: after the period, though 1 November in UTC.
    ("DEMO", utc(2026, 11, 1, 23, 10), 10, 10, ("serious", "elderly", "victim", "no")),
    # Another region: in the country's figures, not in the demo coordinator's.
    ("DEMO2", utc(2026, 10, 28, 11, 0), 600, 40, ("serious", "elderly", "professional", "yes")),
]

EXPECTED = {
    "weekly": [
        ["Week", "Ernstige chats"],
        ["Week 43, vanaf 19 okt 2026", "2"],
        ["Week 44, vanaf 26 okt 2026", "1"],
    ],
    "chats": [
        ["Chats", "Aantal"],
        ["Gestart", "5"],
        ["Verlaten tijdens het wachten", "1"],
        ["Beëindigd", "4"],
    ],
    # Waits 30, 60, 120 and 300 seconds: nearest rank, the 2nd and the 4th.
    "waiting": [["Percentiel", "Minuten:seconden"], ["p50 (mediaan)", "1:00"], ["p90", "5:00"]],
    "durations": [
        ["Duur", "Beëindigde chats"],
        ["korter dan 5 min", "1"],
        ["5 tot 10 min", "0"],
        ["10 tot 15 min", "0"],
        ["15 tot 20 min", "1"],
        ["20 tot 30 min", "1"],
        ["30 tot 45 min", "0"],
        ["45 tot 60 min", "0"],
        ["60 min of langer", "1"],
    ],
    "under-18": [
        ["Jonger dan 18", "Ernstige chats", "Aandeel"],
        ["Ja", "1", "33,3%"],
        ["Nee", "1", "33,3%"],
        ["Onbekend", "1", "33,3%"],
    ],
    "asked-by": [
        ["Wie vroeg er advies", "Ernstige chats"],
        ["Slachtoffer", "2"],
        ["Omstander", "1"],
        ["Pleger", "0"],
        ["Professional", "0"],
        ["Anders", "0"],
    ],
    "topics": [
        ["Onderwerp", "Ernstige chats"],
        ["Kindermishandeling", "1"],
        ["Partnergeweld", "2"],
        ["Ex-partnergeweld", "0"],
        ["Ouderenmishandeling", "0"],
        ["Anders", "0"],
    ],
    "kinds": [
        ["Soort contact", "Chats"],
        ["Serieus", "3"],
        ["Test", "0"],
        ["Grap", "1"],
        ["Misbruik", "0"],
        ["Stil", "0"],
    ],
}


def heatmap(starts: dict[tuple[int, int], int]) -> list[list[str]]:
    days = ["Maandag", "Dinsdag", "Woensdag", "Donderdag", "Vrijdag", "Zaterdag", "Zondag"]
    header = ["Dag", *(f"{hour:02d}" for hour in range(24))]
    return [header] + [
        [name, *(str(starts.get((day, hour), 0)) for hour in range(24))]
        for day, name in enumerate(days)
    ]


class Tables(HTMLParser):
    """The rows of every table on a page, by the table's id, as their cells' text."""

    def __init__(self, page: str):
        super().__init__()
        self.tables, self._rows, self._cell = {}, None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = self.tables.setdefault(dict(attrs)["id"], [])
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("th", "td") and self._rows is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._rows[-1].append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "table":
            self._rows = None


def add_chats(app) -> None:
    with app.app_context(), db.session() as s:
        for n, (region, created, wait, minutes, registration) in enumerate(CHATS):
            chat = Chat(
                token=f"stat-{n}", region_code=region, nickname=f"Bezoeker {n}", created_at=created
            )
            if wait is None:
                chat.status, chat.ended_at = ChatStatus.ABANDONED, created + timedelta(minutes=3)
            else:
                chat.status = ChatStatus.ENDED
                chat.accepted_at = created + timedelta(seconds=wait)
                chat.ended_at = chat.accepted_at + timedelta(minutes=minutes)
            s.add(chat)
            s.flush()
            if registration:
                kind, topic, asked_by, under_18 = registration
                s.add(
                    Registration(
                        chat_id=chat.id,
                        region_code=region,
                        nickname="",
                        kind=kind,
                        topic=topic,
                        asked_by=asked_by,
                        under_18=under_18,
                        created_at=chat.ended_at,
                    )
                )
        s.commit()


def logged_in(app, role: str, username: str = "demo"):
    with app.app_context(), db.session() as s:
        s.execute(update(Worker).where(Worker.username == username).values(role=role))
        s.commit()
    client = app.test_client()
    assert log_in(client, username).status_code == 303
    return client


@pytest.fixture
def coordinator(app):
    add_chats(app)
    return logged_in(app, WorkerRole.COORDINATOR)


@pytest.fixture
def admin(app):
    add_chats(app)
    return logged_in(app, WorkerRole.ADMIN)


def tables_of(client, **query) -> dict[str, list[list[str]]]:
    answer = client.get("/console/statistics", query_string=query)
    assert answer.status_code == 200, text_of(answer.text)
    found = Tables(answer.text).tables
    return {key.removeprefix("stat-").removesuffix("-table"): rows for key, rows in found.items()}


def test_each_figure_of_a_coordinators_region_is_counted_in_local_time(coordinator):
    shown = tables_of(coordinator, **PERIOD)
    assert list(shown) == KEYS
    for key, rows in EXPECTED.items():
        assert shown[key] == rows, key
    assert shown["heatmap"] == heatmap({(0, 0): 2, (6, 1): 1, (6, 14): 1, (2, 12): 1})


def test_the_page_draws_a_chart_beside_each_table(coordinator):
    page = coordinator.get("/console/statistics", query_string=PERIOD).text
    for key in KEYS:
        assert f'<svg class="console-chart" id="stat-{key}-chart" role="img"' in page
        assert f'id="stat-{key}-chart-title"' in page
    assert "Ernstige chats per week" in text_of(page)
    # The bars are scaled to the largest: a full bar for week 43, half of it for week 44.
    assert 'width="220.0"' in page and 'width="110.0"' in page


def test_an_administrator_sees_the_country_and_each_region(admin):
    country = tables_of(admin, **PERIOD)
    assert country["chats"][1] == ["Gestart", "6"]
    assert country["under-18"][1] == ["Ja", "2", "50,0%"]
    assert country["waiting"][2] == ["p90", "10:00"]
    demo = tables_of(admin, region="DEMO", **PERIOD)
    assert demo["chats"][1] == ["Gestart", "5"]
    north = tables_of(admin, region="DEMO2", **PERIOD)
    assert north["chats"][1:] == [
        ["Gestart", "1"],
        ["Verlaten tijdens het wachten", "0"],
        ["Beëindigd", "1"],
    ]
    assert north["topics"][4] == ["Ouderenmishandeling", "1"]
    page = text_of(admin.get("/console/statistics").text)
    assert "Heel Nederland" in page and "Demo-regio Noord (altijd open)" in page


def test_a_coordinator_sees_only_their_regions(coordinator):
    page = coordinator.get("/console/statistics", query_string=PERIOD).text
    assert "Alle regio's van mij" in text_of(page)
    assert 'value="DEMO2"' not in page
    answer = coordinator.get("/console/statistics", query_string={**PERIOD, "region": "DEMO2"})
    assert answer.status_code == 400
    assert "Ongeldige keuze." in text_of(answer.text)
    assert "Gestart" not in text_of(answer.text)


def test_a_worker_is_refused(app):
    worker = logged_in(app, WorkerRole.WORKER)
    assert worker.get("/console/statistics").status_code == 403
    assert worker.get("/console/statistics/chats.csv", query_string=PERIOD).status_code == 403
    assert "Statistieken" not in text_of(worker.get("/console/").text)


def test_the_header_links_coordinators_to_the_statistics(coordinator):
    assert 'href="/console/statistics"' in coordinator.get("/console/").text


@pytest.mark.parametrize("key", KEYS)
def test_every_csv_equals_its_table(coordinator, key):
    shown = tables_of(coordinator, **PERIOD)[key]
    answer = coordinator.get(f"/console/statistics/{key}.csv", query_string=PERIOD)
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="vtchat-{key}-2026-10-19-2026-11-01.csv"'
    )
    assert list(csv.reader(io.StringIO(answer.get_data(as_text=True)))) == shown


def test_the_page_and_the_csv_links_keep_the_chosen_region(admin):
    page = admin.get("/console/statistics", query_string={**PERIOD, "region": "DEMO2"}).text
    link = "/console/statistics/chats.csv?first=2026-10-19&amp;last=2026-11-01&amp;region=DEMO2"
    assert link in page
    answer = admin.get("/console/statistics/chats.csv", query_string={**PERIOD, "region": "DEMO2"})
    assert list(csv.reader(io.StringIO(answer.get_data(as_text=True))))[1] == ["Gestart", "1"]


def test_without_a_period_the_last_twelve_weeks_are_shown(coordinator):
    page = coordinator.get("/console/statistics").text
    assert 'value="2026-08-31"' in page and 'value="2026-11-18"' in page  # the tests' Wednesday
    weeks = Tables(page).tables["stat-weekly-table"][1:]
    assert len(weeks) == 12
    assert weeks[0][0] == "Week 36, vanaf 31 aug 2026"
    assert weeks[-1][0] == "Week 47, vanaf 16 nov 2026"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        (
            {"first": "2026-11-01", "last": "2026-10-19"},
            "Het einde van de periode ligt voor het begin.",
        ),
        (
            {"first": "2024-01-01", "last": "2026-11-01"},
            "Kies een periode van hoogstens twee jaar.",
        ),
        ({"first": "", "last": "2026-11-01"}, "Vul een datum in."),
    ],
)
def test_a_bad_period_is_refused_beside_its_field(coordinator, query, words):
    answer = coordinator.get("/console/statistics", query_string=query)
    assert answer.status_code == 400
    assert words in text_of(answer.text)
    assert 'aria-invalid="true"' in answer.text
    csv_answer = coordinator.get("/console/statistics/chats.csv", query_string=query)
    assert csv_answer.status_code == 400
    assert words in csv_answer.get_data(as_text=True)


def test_an_unknown_table_is_not_found(coordinator):
    assert (
        coordinator.get("/console/statistics/nothing.csv", query_string=PERIOD).status_code == 404
    )


def test_the_figures_survive_the_purge(app, coordinator):
    from backend import chats

    before = tables_of(coordinator, **PERIOD)
    with app.app_context():
        assert chats.purge_transcripts() == len(CHATS)  # every chat ended weeks ago
    assert tables_of(coordinator, **PERIOD) == before
