"""Financial years and quarters (portfolio.dates): the boundaries in UK time, in Python and in SQL,
which must agree on SQLite and PostgreSQL."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portfolio.dates import (
    UK,
    financial_year_bounds,
    financial_year_dates,
    financial_year_label,
    financial_year_of,
    financial_year_sql,
    financial_year_start,
    financial_year_start_year,
    financial_years,
    financial_years_since,
    govuk_date,
    is_financial_year,
    quarter_label,
    quarter_number,
    quarter_start,
    recent_quarters,
    uk_date,
)
from portfolio.models.base import UTCDateTime

# --- financial years --------------------------------------------------------------------------------


def test_31_march_belongs_to_the_year_before_1_april():
    assert financial_year_of(date(2026, 3, 31)) == "2025/26"
    assert financial_year_of(date(2026, 4, 1)) == "2026/27"
    assert financial_year_of(date(2026, 12, 31)) == "2026/27"
    assert financial_year_of(date(2027, 1, 1)) == "2026/27"


def test_a_moment_falls_in_the_year_of_its_uk_date():
    # The year turns at midnight UK time, which on 1 April is always summer time (BST, UTC+1):
    assert financial_year_of(datetime(2025, 3, 31, 23, 59, tzinfo=UK)) == "2024/25"
    assert financial_year_of(datetime(2025, 4, 1, 0, 0, tzinfo=UK)) == "2025/26"
    assert financial_year_of(datetime(2026, 3, 31, 22, 59, 59, 999999, tzinfo=UTC)) == "2025/26"
    assert financial_year_of(datetime(2026, 3, 31, 23, 0, tzinfo=UTC)) == "2026/27"  # 00:00 BST
    # A moment given in another zone is read in UK time too.
    assert financial_year_of(datetime(2026, 4, 1, 1, 30, tzinfo=UK).astimezone(UTC)) == "2026/27"


def test_a_naive_datetime_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="naive"):
        financial_year_of(datetime(2026, 4, 1, 0, 30))
    with pytest.raises(ValueError, match="naive"):
        uk_date(datetime(2026, 4, 1, 0, 30))


def test_the_first_and_last_days_and_the_bounds_of_a_year():
    assert financial_year_dates("2025/26") == (date(2025, 4, 1), date(2026, 3, 31))
    assert financial_year_dates("1999/00") == (date(1999, 4, 1), date(2000, 3, 31))
    start, end = financial_year_bounds("2025/26")
    assert (start, end) == (datetime(2025, 3, 31, 23, 0, tzinfo=UTC), datetime(2026, 3, 31, 23, 0, tzinfo=UTC))
    assert (start.astimezone(UK).date(), end.astimezone(UK).date()) == (date(2025, 4, 1), date(2026, 4, 1))
    assert financial_year_start(date(2026, 3, 31)) == date(2025, 4, 1)
    assert financial_year_start(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == date(2026, 4, 1)


def test_labels_are_validated():
    assert financial_year_label(2025) == "2025/26" and financial_year_label(1999) == "1999/00"
    for good in ("2025/26", "1999/00", "2015/16"):
        assert is_financial_year(good) and financial_year_start_year(good) == int(good[:4])
    for bad in ("2025/27", "2025-26", "25/26", "2025/2026", " 2025/26", "2025/26 ", "", "abcd/ef", None, 2025):
        assert not is_financial_year(bad), bad
    for bad in ("2025/27", "2025-26", "25/26"):
        with pytest.raises(ValueError, match="is not a financial year like 2025/26"):
            financial_year_dates(bad)
        with pytest.raises(ValueError):
            financial_year_bounds(bad)


def test_recent_years_newest_first():
    assert financial_years(datetime(2026, 3, 31, 22, 59, tzinfo=UTC)) == ["2025/26", "2024/25", "2023/24"]
    assert financial_years(datetime(2026, 3, 31, 23, 0, tzinfo=UTC)) == ["2026/27", "2025/26", "2024/25"]
    assert financial_years(date(2026, 4, 1), count=1) == ["2026/27"]
    assert financial_years_since(2025, date(2027, 6, 1)) == ["2027/28", "2026/27", "2025/26"]
    assert financial_years_since(2025, date(2026, 3, 31)) == ["2025/26"]


# --- quarters ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "start", "label"), [
    (date(2025, 4, 1), date(2025, 4, 1), "2025/26 Q1"),
    (date(2025, 6, 30), date(2025, 4, 1), "2025/26 Q1"),
    (date(2025, 7, 1), date(2025, 7, 1), "2025/26 Q2"),
    (date(2025, 9, 30), date(2025, 7, 1), "2025/26 Q2"),
    (date(2025, 10, 1), date(2025, 10, 1), "2025/26 Q3"),
    (date(2025, 12, 31), date(2025, 10, 1), "2025/26 Q3"),
    (date(2026, 1, 1), date(2026, 1, 1), "2025/26 Q4"),
    (date(2026, 3, 31), date(2026, 1, 1), "2025/26 Q4"),
])
def test_quarters_of_the_financial_year(day, start, label):
    assert quarter_start(day) == start
    assert quarter_label(day) == quarter_label(start) == label
    assert quarter_number(day) == int(label[-1])


def test_quarters_turn_at_midnight_uk_time_in_summer_and_winter():
    # 1 October: BST (UTC+1); 1 January: GMT (UTC+0).
    assert quarter_label(datetime(2025, 9, 30, 22, 59, tzinfo=UTC)) == "2025/26 Q2"
    assert quarter_label(datetime(2025, 9, 30, 23, 0, tzinfo=UTC)) == "2025/26 Q3"
    assert quarter_label(datetime(2025, 12, 31, 23, 59, tzinfo=UTC)) == "2025/26 Q3"
    assert quarter_label(datetime(2026, 1, 1, 0, 0, tzinfo=UTC)) == "2025/26 Q4"


def test_recent_quarters_cross_the_calendar_year():
    assert recent_quarters(date(2026, 2, 14), count=4) == [date(2026, 1, 1), date(2025, 10, 1), date(2025, 7, 1),
                                                           date(2025, 4, 1)]
    assert recent_quarters(date(2026, 4, 1), count=2) == [date(2026, 4, 1), date(2026, 1, 1)]


def test_govuk_dates_use_the_uk_date_of_a_moment():
    assert govuk_date(date(2027, 1, 5)) == "5 January 2027"
    assert govuk_date(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == "1 April 2026"
    assert govuk_date(None) == ""


# --- the SQL expression agrees with Python ------------------------------------------------------------

def _moments() -> list[datetime]:
    """Each year's turn (a microsecond, a second and a minute either side, in UK time), and moments at
    random from 2014 to 2030, both in UTC."""
    moments = []
    for year in range(2014, 2031):
        turn = datetime(year, 4, 1, tzinfo=UK)
        for delta in (timedelta(microseconds=1), timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)):
            moments += [(turn - delta).astimezone(UTC), (turn + delta).astimezone(UTC)]
        moments.append(turn.astimezone(UTC))
    rng = random.Random(20261124)
    first, span = datetime(2014, 1, 1, tzinfo=UTC), (datetime(2031, 3, 31, tzinfo=UTC) - datetime(2014, 1, 1,
                                                                                                   tzinfo=UTC))
    moments += [first + timedelta(seconds=rng.randrange(int(span.total_seconds()))) for _ in range(300)]
    return moments


def test_the_sql_financial_year_matches_python_on_this_database(session):
    """Runs on SQLite, and on PostgreSQL when DATABASE_URL is set: the same CASE on both."""
    moments = _moments()
    probe = sa.Table("financial_year_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", UTCDateTime()), prefixes=["TEMPORARY"])
    connection = session.connection()
    probe.create(connection)
    connection.execute(probe.insert(), [{"id": index, "at": moment} for index, moment in enumerate(moments)])
    rows = connection.execute(sa.select(probe.c.id, financial_year_sql(probe.c.at, last_year=2030))).all()
    in_sql = dict(rows)
    expected = {index: financial_year_of(moment) if financial_year_start(moment).year >= 2015 else "earlier"
                for index, moment in enumerate(moments)}
    assert in_sql == expected
    assert in_sql[moments.index(datetime(2026, 3, 31, 23, 0, tzinfo=UTC))] == "2026/27"
    probe.drop(connection)
