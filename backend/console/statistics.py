"""Statistics for coordinators (their regions) and administrators (the country and each region):
a chart and a table per figure, each table also as CSV.

The page and the CSV read the same rows (`tables`), so a download always equals what is shown.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, g, render_template, request
from flask_babel import format_date, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired

from backend import clock, regions, staffing, statistics
from backend.console import bp
from backend.console.auth import login_required
from backend.console.forms import AGES, ASKERS, KINDS, TOPICS
from backend.console.hours import DAY_NAMES
from backend.forms import Form
from backend.models import WorkerRole

DEFAULT_WEEKS = 12
MAX_DAYS = 2 * 366  # a longer period is refused: two years is all an evaluation compares


class PeriodForm(Form):
    """The period and the region(s); sent with GET, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    first = DateField(_l("From"), validators=[InputRequired(_l("Give a date."))])
    last = DateField(_l("To and including"), validators=[InputRequired(_l("Give a date."))])
    region = SelectField(_l("Region"), choices=[], default="", validate_choice=True)

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if self.last.data < self.first.data:
            self.last.errors.append(_("The end of the period comes before its start."))
        elif (self.last.data - self.first.data).days >= MAX_DAYS:
            self.last.errors.append(_("Choose a period of at most two years."))
        return not self.last.errors


@dataclass
class Table:
    """One figure: its rows as the page shows them (and the CSV holds), and what to draw."""

    key: str  # in the CSV's address and the page's ids
    title: str
    headers: list[str]
    rows: list[list]
    bars: list[float] = field(default_factory=list)  # a bar per row; empty for the heatmap
    top: float = 0  # the largest value drawn, for the scale

    @property
    def heatmap(self) -> bool:
        return not self.bars


def _labels(choices) -> dict[str, str]:
    return {choice.value: choice.label for choice in choices}


def _form() -> PeriodForm:
    """The form as asked for, or the last DEFAULT_WEEKS weeks of all the person's regions."""
    form = PeriodForm(request.args) if request.args else PeriodForm(formdata=None)
    if not request.args:
        today = clock.now().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
        form.first.data = today - timedelta(days=today.weekday(), weeks=DEFAULT_WEEKS - 1)
        form.last.data = today
        form.region.data = ""
    codes = staffing.regions_of(g.worker)
    names = {r.code: r.name for r in regions.all_regions(include_demo=True)}
    everything = (
        _("The whole country") if g.worker.role == WorkerRole.ADMIN else _("All my regions")
    )
    form.region.choices = [("", everything)] + [(code, names.get(code, code)) for code in codes]
    return form


def _scope(form: PeriodForm) -> list[str]:
    return [form.region.data] if form.region.data else staffing.regions_of(g.worker)


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _week(monday) -> str:
    day = format_date(monday, "d MMM y")
    return _("Week %(number)s, from %(day)s", number=monday.isocalendar().week, day=day)


def _count_table(key, title, headers: list[str], counts: dict, labels: dict) -> Table:
    rows = [[labels[value], counts[value]] for value in labels]
    return Table(key, title, headers, rows, [row[1] for row in rows])


def tables(f: statistics.Figures) -> list[Table]:
    """Every figure as a table, in the order the page shows them."""
    weekly = [[_week(monday), n] for monday, n in f.weeks]
    edges = statistics.DURATION_EDGES
    spans = (
        [_("under %(minutes)s min", minutes=edges[0])]
        + [_("%(low)s to %(high)s min", low=lo, high=hi) for lo, hi in pairwise(edges)]
        + [_("%(minutes)s min or more", minutes=edges[-1])]
    )
    serious = sum(f.under_18.values())
    ages = _labels(AGES)
    p50, p90 = f.wait_percentile(50), f.wait_percentile(90)
    hours = [f"{hour:02d}" for hour in range(24)]
    found = [
        Table(
            "weekly",
            _("Serious chats per week"),
            [_("Week"), _("Serious chats")],
            weekly,
            [n for _w, n in weekly],
        ),
        Table(
            "chats",
            _("Chats started, left while waiting and ended"),
            [_("Chats"), _("Number")],
            [
                [_("Started"), f.started],
                [_("Left while waiting"), f.abandoned],
                [_("Ended"), f.ended],
            ],
            [f.started, f.abandoned, f.ended],
        ),
        Table(
            "waiting",
            _("Waiting time until a worker took the chat"),
            [_("Percentile"), _("Minutes:seconds")],
            [[_("p50 (median)"), _minutes(p50)], [_("p90"), _minutes(p90)]],
            [p50 or 0, p90 or 0],
        ),
        Table(
            "durations",
            _("Duration of ended chats"),
            [_("Duration"), _("Ended chats")],
            [[span, n] for span, n in zip(spans, f.durations, strict=True)],
            list(f.durations),
        ),
        Table(
            "under-18",
            _("Under 18 (serious chats)"),
            [_("Under 18"), _("Serious chats"), _("Share")],
            [
                [ages[v], n, format_percent(n / serious if serious else 0, "#,##0.0%")]
                for v, n in f.under_18.items()
            ],
            list(f.under_18.values()),
        ),
        _count_table(
            "asked-by",
            _("Who asked (serious chats)"),
            [_("Who asked"), _("Serious chats")],
            f.asked_by,
            _labels(ASKERS),
        ),
        _count_table(
            "topics",
            _("Topics (serious chats)"),
            [_("Topic"), _("Serious chats")],
            f.topics,
            _labels(TOPICS),
        ),
        _count_table(
            "kinds",
            _("Kinds of contact"),
            [_("Kind of contact"), _("Chats")],
            f.kinds,
            _labels(KINDS),
        ),
        Table(
            "heatmap",
            _("Chats started per weekday and hour"),
            [_("Day"), *hours],
            [[str(DAY_NAMES[day]), *f.heatmap[day]] for day in range(7)],
        ),
    ]
    for table in found:
        table.top = max(table.bars or [n for row in table.rows for n in row[1:]] or [0])
    return found


def _allowed() -> None:
    if g.worker.role == WorkerRole.WORKER:
        abort(403)


@bp.get("/statistics")
@login_required
def statistics_page():
    """The figures of a period for the person's regions, or one of them: charts beside tables."""
    _allowed()
    form = _form()
    if request.args and not form.validate():
        return render_template(
            "console/statistics.html", worker=g.worker, form=form, tables=[]
        ), 400
    figures = statistics.compute(_scope(form), form.first.data, form.last.data)
    return render_template(
        "console/statistics.html",
        worker=g.worker,
        form=form,
        tables=tables(figures),
        query={"first": form.first.data, "last": form.last.data, "region": form.region.data},
    )


@bp.get("/statistics/<key>.csv")
@login_required
def statistics_csv(key):
    """One table of the statistics page as CSV, the same rows as shown."""
    _allowed()
    form = _form()
    if not form.validate():
        errors = [str(e) for f in form for e in f.errors]
        return Response(" ".join(errors), 400, mimetype="text/plain")
    figures = statistics.compute(_scope(form), form.first.data, form.last.data)
    table = next((t for t in tables(figures) if t.key == key), None)
    if table is None:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    name = f"vtchat-{key}-{form.first.data.isoformat()}-{form.last.data.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
