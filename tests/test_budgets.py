"""The fund's budget by financial year (issue 15): versions of it, refusals against what is committed,
the ledger by year (budget, committed, forecast, paid, headroom, warnings), approvals that would
over-commit a year (also racing ones, on PostgreSQL), the finance page and its downloads."""

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portfolio.models import (
    Application,
    AuditEvent,
    AwardTerms,
    BudgetVersion,
    Forecast,
    Fund,
    Payment,
    PaymentKind,
    PaymentStatus,
    ProfileLine,
    Role,
    User,
)
from portfolio.services import budgets, decisions, funds, profiles
from portfolio.services.errors import DomainError
from tests.helpers import race

M = Decimal("1000000.00")
TODAY = date(2026, 8, 1)  # the ledger's "today" in the hand-built case: 2026/27's second quarter

# The fund starts without rounds here: each test opens Round 1 with the allocation it needs.
pytestmark = pytest.mark.fund_without_rounds


def years(**amounts) -> dict[str, Decimal]:
    """years(y2026=5) -> {"2026/27": Decimal("5000000.00")}: amounts in £m by the year they start."""
    return {f"{name[1:]}/{(int(name[1:]) + 1) % 100:02d}": Decimal(str(value)) * M for name, value in amounts.items()}


def audit_events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def application_with(make, fund, people, profile: dict[date, Decimal]) -> Application:
    """A recommended application whose grant profile is `profile` (its grant is the profile's total)."""
    grant = sum(profile.values(), Decimal("0.00"))
    return make.recommended_application(fund, recommender=people["recommender"], assessor=people["assessor"],
                                        grant=grant, profile=profile, project=(date(2025, 4, 1), date(2030, 3, 31)))


def approve(session, application, people) -> None:
    decisions.approve(session, application=application, by=people["approver"], amount=application.grant_requested)
    session.commit()


@pytest.fixture
def lsimf(make, session, fund):
    """The LSIMF with Round 1 open and £10m allocated."""
    make.open_round(fund, allocation=10 * M)
    session.commit()
    return fund


# --- versions of the budget by year ---------------------------------------------------------------

def test_each_change_is_a_new_version_and_every_old_one_stays_readable(session, lsimf, people):
    admin = people["admin"]
    first = budgets.set_year_budgets(session, fund=lsimf, by=admin, years=years(y2025=60, y2026=150, y2027=170,
                                                                                y2028=140), note="SR settlement")
    session.commit()
    second = budgets.set_year_budgets(session, fund=lsimf, by=admin, years=years(y2025=50, y2026=160, y2027=170,
                                                                                 y2028=140, y2029=20),
                                      note="Slippage moved into 2026/27")
    session.commit()
    session.expire_all()
    fund = session.get(Fund, lsimf.id)
    assert fund.budget == 540 * M
    assert fund.year_budgets == years(y2025=50, y2026=160, y2027=170, y2028=140, y2029=20)
    old = session.get(BudgetVersion, first.id)
    assert old.by_year == years(y2025=60, y2026=150, y2027=170, y2028=140) and old.total == 520 * M
    assert old.note == "SR settlement" and old.created_by.id == admin.id
    history = budgets.history(session, fund)
    assert [view.version.id for view in history] == [second.id, first.id]
    assert history[0].changes == ["2025/26: £60,000,000.00 to £50,000,000.00",
                                  "2026/27: £150,000,000.00 to £160,000,000.00", "2029/30: added, £20,000,000.00"]
    assert history[1].changes == ["First budget by year"]
    events = audit_events(session, "fund.year_budgets_set")
    assert len(events) == 2 and events[1].actor_id == admin.id
    assert events[1].before["budget"] == "520000000.00" and events[1].after["budget"] == "540000000.00"
    assert events[1].after["years"]["2029/30"] == "20000000.00" and events[1].after["version_id"] == second.id
    # the same years again change nothing and add no version
    assert budgets.set_year_budgets(session, fund=fund, by=admin, years=dict(fund.year_budgets)).id == second.id
    assert session.scalar(sa.select(sa.func.count()).select_from(BudgetVersion)) == 2


def test_the_settings_page_shows_the_history_and_adds_a_later_year(client, session, lsimf, people):
    budgets.set_year_budgets(session, fund=lsimf, by=people["admin"], years=years(y2025=60, y2026=150, y2027=170,
                                                                                  y2028=140), note="SR settlement")
    session.commit()
    client.sign_in_as(people["admin"])
    page = client.get(f"/admin/funds/{lsimf.id}/budget")
    assert page.html.find(id="year_2026_27")["value"] == "150,000,000.00"
    history = page.html.find(id="budget-history").get_text(" ", strip=True)
    assert "SR settlement" in history and "First budget by year" in history and "2028/29: £140,000,000.00" in history
    form = {"year_2025_26": "60000000", "year_2026_27": "150000000", "year_2027_28": "170000000",
            "year_2028_29": "140000000", "note": "Add 2029/30"}
    added = client.submit(f"/admin/funds/{lsimf.id}/budget", {**form, "add_year": "Add the next financial year"})
    assert added.status == 200
    assert added.html.find(id="year_2029_30") is not None and added.html.find(id="year_2026_27")["value"] == "150000000"
    saved = client.submit(f"/admin/funds/{lsimf.id}/budget",
                          {**form, "through": added.html.find(id="through")["value"], "year_2029_30": "25,000,000"},
                          follow=True)
    assert "the fund's budget is now £545,000,000.00" in saved.text
    session.expire_all()
    assert session.get(Fund, lsimf.id).year_budgets["2029/30"] == 25 * M
    page = client.get(f"/admin/funds/{lsimf.id}/budget")
    assert "2029/30: added, £25,000,000.00" in page.html.find(id="budget-history").get_text(" ", strip=True)
    # a made-up year posted back in the hidden field adds no field
    odd = client.submit(f"/admin/funds/{lsimf.id}/budget", {**form, "through": "1999/00", "year_2029_30": "1"})
    assert odd.status == 302


def test_a_year_below_what_is_committed_in_it_is_refused(client, session, lsimf, people, make):
    budgets.set_year_budgets(session, fund=lsimf, by=people["admin"], years=years(y2025=10, y2026=10, y2027=10,
                                                                                  y2028=10))
    session.commit()
    approve(session, application_with(make, lsimf, people, {date(2026, 7, 1): 3 * M, date(2027, 4, 1): 1 * M}), people)
    with pytest.raises(DomainError, match=r"^2026/27: £3,000,000.00 is already committed, more than a budget of "
                                          r"£2,999,999.99$") as refused:
        budgets.set_year_budgets(session, fund=lsimf, by=people["admin"],
                                 years={**years(y2025=10, y2026=10, y2027=10, y2028=10),
                                        "2026/27": Decimal("2999999.99")})
    assert refused.value.field == "2026/27"
    session.rollback()
    client.sign_in_as(people["admin"])
    versions_before = session.scalar(sa.select(sa.func.count()).select_from(BudgetVersion))
    page = client.submit(f"/admin/funds/{lsimf.id}/budget", {
        "year_2025_26": "10000000", "year_2026_27": "2,999,999.99", "year_2027_28": "10000000",
        "year_2028_29": "10000000"})
    assert page.status == 400
    assert page.field_error("year_2026_27") == ("2026/27: £3,000,000.00 is already committed, more than a budget of "
                                                "£2,999,999.99")
    assert session.scalar(sa.select(sa.func.count()).select_from(BudgetVersion)) == versions_before


# --- the ledger by year ---------------------------------------------------------------------------------

@pytest.fixture
def ledger_case(session, lsimf, people, make):
    """Two awards whose profiles fall in different years, a payment, a forecast, and an award agreed
    before profiles existed:

        A  £4m: £2m in each of 2026/27's first two quarters; £1m paid on 15 May 2026
        B  £4m: all in 2027/28; its latest forecast: £3.9m in 2027/28 and £3m in 2028/29
        C  £1m: no profile (agreed before profiles)
    Budget: 2025/26 £0, 2026/27 £5m, 2027/28 £4m, 2028/29 £2m (£11m: the round's £10m fits); the
    tolerance is the default 5%."""
    budgets.set_year_budgets(session, fund=lsimf, by=people["admin"], years=years(y2025=0, y2026=5, y2027=4, y2028=2))
    session.commit()
    a = application_with(make, lsimf, people, {date(2026, 4, 1): 2 * M, date(2026, 7, 1): 2 * M})
    b = application_with(make, lsimf, people, {date(2027, 4, 1): 2 * M, date(2027, 10, 1): 2 * M})
    c = application_with(make, lsimf, people, {date(2026, 4, 1): 1 * M})
    for application in (a, b, c):
        approve(session, application, people)
    for line in list(c.award.current_terms.lines):  # as migration 0018 left awards made before profiles
        session.delete(line)
    session.add(Payment(award=a.award, kind=PaymentKind.CLAIM, status=PaymentStatus.PAID, amount=1 * M,
                        paid_on=date(2026, 5, 15), reference="PAY-1", recorded_by_id=people["finance"].id))
    session.add(Forecast(award=b.award, created_by_id=b.organisation.users[0].id, note="Slipping", lines=[
        ProfileLine(quarter_start=date(2027, 4, 1), amount=Decimal("3900000.00")),
        ProfileLine(quarter_start=date(2028, 4, 1), amount=3 * M)]))
    session.commit()
    session.expire_all()
    return session.get(Fund, lsimf.id)


@pytest.fixture
def on_ledger_day(monkeypatch):
    """The pages and downloads read the ledger as on TODAY."""
    monkeypatch.setattr(budgets, "uk_today", lambda: TODAY)


def test_the_ledger_by_year_for_a_hand_built_case(session, ledger_case):
    ledger = budgets.year_ledger(session, ledger_case, today=TODAY)
    figures = {row.year: (row.budget, row.committed, row.forecast, row.paid, row.headroom) for row in ledger.years}
    assert figures == {
        "2025/26": (0 * M, 0 * M, 0 * M, 0 * M, 0 * M),
        # A: £1m paid in the quarter already past, then its profile's £2m from this quarter on
        "2026/27": (5 * M, 4 * M, 3 * M, 1 * M, 1 * M),
        "2027/28": (4 * M, 4 * M, Decimal("3900000.00"), 0 * M, 0 * M),
        "2028/29": (2 * M, 0 * M, 3 * M, 0 * M, 2 * M),
    }
    totals = ledger.totals
    assert (totals.budget, totals.committed, totals.forecast, totals.paid, totals.headroom) == (
        11 * M, 8 * M, Decimal("9900000.00"), 1 * M, 3 * M)
    assert ledger.not_profiled == 1 * M
    warnings = {row.year: row.warning_text for row in ledger.years}
    assert warnings == {"2025/26": None,  # nothing budgeted, nothing forecast
                        "2026/27": "Forecast £2,000,000.00 under budget (40.0%)",
                        "2027/28": None,  # £100,000 under: 2.5%, inside the 5%
                        "2028/29": "Forecast £1,000,000.00 over budget (50.0%)"}


def test_a_wider_tolerance_clears_the_warnings(session, ledger_case, people):
    funds.update_rules(session, fund=ledger_case, by=people["admin"], budget_variance_rate=Decimal("0.5000"))
    session.commit()
    ledger = budgets.year_ledger(session, session.get(Fund, ledger_case.id), today=TODAY)
    assert [row.warning for row in ledger.years] == [None, None, None, None]  # 40% and 50%: not more than 50%


def test_the_finance_page_charts_and_tables_the_ledger(client, session, ledger_case, people, on_ledger_day):
    client.sign_in_as(people["finance"])
    home = client.get("/home")
    assert "/reports/budget-by-year" in {a["href"] for a in home.html.select(".govuk-service-navigation a")}
    assert "/reports/budget-by-year" in {a["href"] for a in client.get("/reports/leverage").html.select("main a")}
    page = client.get("/reports/budget-by-year")
    assert page.status == 200 and page.h1 == "Budget and spend by financial year"
    rows = {tr.th.get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.select("td")]
            for tr in page.html.select("#ledger tbody tr")}
    assert rows["2026/27"] == ["£5,000,000.00", "£4,000,000.00", "£3,000,000.00 Under by £2,000,000.00",
                               "£1,000,000.00", "£1,000,000.00"]
    assert rows["2028/29"][2] == "£3,000,000.00 Over by £1,000,000.00"
    assert rows["2027/28"][2] == "£3,900,000.00"  # £100,000 under: inside the 5%
    assert rows["Not profiled"][1] == "£1,000,000.00"
    assert rows["Total"] == ["£11,000,000.00", "£8,000,000.00", "£9,900,000.00", "£1,000,000.00",
                                 "£3,000,000.00"]
    svg = page.html.find("svg", id="chart-budget")
    assert svg["aria-describedby"] == "ledger"
    assert len(svg.find_all("rect")) == 4 * 4  # four series over four years
    assert "Budget 2026/27: £5,000,000.00" in {t.get_text() for t in svg.select("rect title")}
    assert "2026/27: budget £5,000,000.00, committed £4,000,000.00, forecast £3,000,000.00, paid £1,000,000.00." \
        in svg.find("desc").get_text()
    flagged = page.html.find(id="flagged").get_text(" ", strip=True)
    assert "2 years are forecast to miss the budget by more than 5%" in flagged
    assert "2026/27: forecast £2,000,000.00 under budget (40.0%)" in flagged
    assert "2028/29: forecast £1,000,000.00 over budget (50.0%)" in flagged


def test_the_downloads_hold_the_ledger_as_numbers(client, session, ledger_case, people, on_ledger_day):
    client.sign_in_as(people["fm"])
    response = client.get("/reports/budget-by-year.csv")
    assert response.status == 200
    lines = list(csv.reader(io.StringIO(response.response.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0] == budgets.TABLE_HEADINGS
    by_year = {line[0]: line for line in lines[1:] if line}
    assert by_year["2026/27"][1:7] == ["5000000.00", "4000000.00", "3000000.00", "1000000.00", "1000000.00",
                                       "Forecast £2,000,000.00 under budget (40.0%)"]
    assert by_year["Total"][1:6] == ["11000000.00", "8000000.00", "9900000.00", "1000000.00", "3000000.00"]
    assert by_year["Not profiled (awards agreed before grant profiles)"][2] == "1000000.00"

    response = client.get("/reports/budget-by-year.xlsx")
    assert response.status == 200
    book = load_workbook(io.BytesIO(response.response.get_data()))
    sheet = book["Budget by year"]
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2) if row[0].value}
    year = cells["2028/29"]
    assert [cell.value for cell in year[1:6]] == [2000000, 0, 3000000, 0, 2000000]
    assert all(cell.number_format == "#,##0.00" for cell in year[1:6])
    assert year[6].value == "Forecast £1,000,000.00 over budget (50.0%)"
    assert cells["Total"][3].value == 9900000
    assert book["About"]["A1"].value == "Fund"


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.ASSESSOR, Role.ACCOUNT_MANAGER])
def test_only_finance_fund_managers_and_admins_read_it(client, session, lsimf, make, role):
    client.sign_in_as(make.user(role))
    session.commit()
    for url in ("/reports/budget-by-year", "/reports/budget-by-year.csv", "/reports/budget-by-year.xlsx"):
        assert client.get(url).status == 403, url
    assert "/reports/budget-by-year" not in client.get("/home").text


@pytest.mark.parametrize("role", [Role.FINANCE, Role.FUND_MANAGER, Role.ADMIN])
def test_staff_who_read_it_and_a_fund_that_does_not_exist(client, session, lsimf, make, role):
    client.sign_in_as(make.user(role))
    session.commit()
    assert client.get("/reports/budget-by-year").status == 200
    assert client.get(f"/reports/budget-by-year?fund={lsimf.id}").status == 200
    assert client.get("/reports/budget-by-year?fund=999999").status == 404
    assert client.get("/reports/budget-by-year.csv?fund=999999").status == 404
    assert client.get("/reports/budget-by-year?fund=abc").status == 400
    assert client.get("/reports/budget-by-year?fund=99999999999999999999").status == 400


# --- approvals against the budget by year ------------------------------------------------------------

def test_an_approval_that_would_over_commit_a_year_is_refused_naming_it(client, session, lsimf, people, make):
    budgets.set_year_budgets(session, fund=lsimf, by=people["admin"], years=years(y2025=1, y2026=5, y2027=2, y2028=2))
    session.commit()
    approve(session, application_with(make, lsimf, people, {date(2026, 7, 1): 4 * M}), people)
    application = application_with(make, lsimf, people, {date(2026, 10, 1): 2 * M, date(2027, 7, 1): 1 * M})
    with pytest.raises(DomainError) as refused:
        decisions.approve(session, application=application, by=people["approver"], amount=3 * M)
    assert refused.value.message == (
        "Approving £3,000,000.00 would over-commit 2026/27: £2,000,000.00 in that year on top of £4,000,000.00 "
        "already committed passes its budget of £5,000,000.00 (headroom £1,000,000.00)")
    session.rollback()

    client.sign_in_as(people["approver"])
    page = client.get(f"/decisions/applications/{application.id}/approve")
    table = {tr["data-year"]: [td.get_text(" ", strip=True) for td in tr.select("td")]
             for tr in page.html.select("#year-headroom tbody tr")}
    assert table == {"2026/27": ["£2,000,000.00", "£4,000,000.00", "£5,000,000.00", "-£1,000,000.00 Over budget"],
                     "2027/28": ["£1,000,000.00", "£0.00", "£2,000,000.00", "£1,000,000.00"]}
    refused_page = client.submit(f"/decisions/applications/{application.id}/approve",
                                 {"amount": "3,000,000", "conditions": ""})
    assert refused_page.status == 400
    assert refused_page.error_summary() == [refused.value.message]
    session.expire_all()
    assert application.award is None
    # £1.5m (scaled: £1m in 2026/27) fits
    done = client.submit(f"/decisions/applications/{application.id}/approve", {"amount": "1,500,000", "conditions": ""})
    assert done.status == 302
    session.expire_all()
    assert budgets.committed_by_year(session, lsimf) == {"2026/27": 5 * M, "2027/28": Decimal("500000.00")}


def test_each_year_short_of_headroom_is_its_own_line_of_the_refusal(client, session, lsimf, people, make):
    budgets.set_year_budgets(session, fund=lsimf, by=people["admin"], years=years(y2025=1, y2026=5, y2027=2, y2028=2))
    session.commit()
    approve(session, application_with(make, lsimf, people, {date(2026, 7, 1): 4 * M}), people)
    application = application_with(make, lsimf, people, {date(2026, 10, 1): 2 * M, date(2027, 7, 1): 3 * M})
    client.sign_in_as(people["approver"])
    page = client.submit(f"/decisions/applications/{application.id}/approve", {"amount": "5,000,000", "conditions": ""})
    assert page.status == 400
    assert page.error_summary() == [
        "Approving £5,000,000.00 would over-commit 2026/27: £2,000,000.00 in that year on top of £4,000,000.00 "
        "already committed passes its budget of £5,000,000.00 (headroom £1,000,000.00)",
        "Approving £5,000,000.00 would over-commit 2027/28: £3,000,000.00 in that year on top of £0.00 already "
        "committed passes its budget of £2,000,000.00 (headroom £2,000,000.00)"]
    over = [tr["data-year"] for tr in page.html.select("#year-headroom tbody tr") if "Over budget" in tr.get_text()]
    assert over == ["2026/27", "2027/28"]
    session.expire_all()
    assert application.award is None


def _approval(application_id: int, approver_id: int):
    """An approval of the grant requested, as a racing attempt (tests.helpers.race)."""
    def change(session) -> None:
        application = session.get(Application, application_id)
        decisions.approve(session, application=application, by=session.get(User, approver_id),
                          amount=application.grant_requested)
    return change


REFUSAL = re.compile(r"^Approving £[\d,]+\.\d\d would over-commit (2026/27|2027/28): £([\d,]+\.\d\d) in that year "
                     r"on top of £([\d,]+\.\d\d) already committed passes its budget of £10,000,000\.00 "
                     r"\(headroom £([\d,]+\.\d\d)\)$")


def test_racing_approvals_never_over_commit_any_year(app, session, lsimf, people, make):
    """18 approvals whose profiles land in 2026/27, in 2027/28 or across both, against £10m in each
    year: on PostgreSQL from 18 threads with their own connections released at once; on SQLite (one
    writer at a time) one after another. No year ends over its budget, and each refusal names the
    year and its figures."""
    lsimf.rounds[0].allocation = 100 * M
    budgets.set_year_budgets(session, fund=lsimf, by=people["admin"], years=years(y2025=80, y2026=10, y2027=10))
    session.commit()
    shapes = ([{date(2026, 7, 1): 3 * M}] * 6 + [{date(2027, 7, 1): 3 * M}] * 6
              + [{date(2026, 10, 1): Decimal("1500000.00"), date(2027, 10, 1): Decimal("1500000.00")}] * 6)
    ids = [application_with(make, lsimf, people, shape).id for shape in shapes]
    approver_id = people["approver"].id
    results = race(app, {i: _approval(i, approver_id) for i in ids},
                   on_postgres=session.get_bind().dialect.name == "postgresql")
    session.expire_all()
    assert len(results) == len(ids)
    committed = budgets.committed_by_year(session, session.get(Fund, lsimf.id))
    assert committed["2026/27"] <= 10 * M and committed["2027/28"] <= 10 * M, committed
    approved = [i for i, outcome in results.items() if outcome == "approved"]
    refused = [outcome for outcome in results.values() if outcome != "approved"]
    assert refused, "the budgets hold £20m and the approvals ask for £54m"
    for message in refused:  # one reason per year short of headroom
        for reason in message.split("; "):
            match = REFUSAL.match(reason)
            assert match, message
            asked, held, room = (Decimal(group.replace(",", "")) for group in match.groups()[1:])
            assert held + asked > 10 * M and room == 10 * M - held, message
    # what is committed is exactly the approved awards' profiles
    expected: dict[str, Decimal] = {}
    for application in session.scalars(sa.select(Application).where(Application.id.in_(approved))):
        for year, amount in profiles.by_year(profiles.of_lines(application.profile_lines)).items():
            expected[year] = expected.get(year, Decimal("0.00")) + amount
    assert committed == expected
    # nothing that would still fit was refused: each year has less than the smallest ask left
    assert 10 * M - committed["2026/27"] < Decimal("1500000.00") or 10 * M - committed["2027/28"] < Decimal(
        "1500000.00")


def test_until_the_budget_is_set_by_year_only_the_total_is_checked(session, lsimf, people, make):
    application = application_with(make, lsimf, people, {date(2026, 7, 1): 3 * M})
    assert budgets.budget_problems(session, fund=lsimf, profile={date(2026, 7, 1): 600 * M}) == []
    approve(session, application, people)
    assert budgets.year_ledger(session, lsimf).by_year_budget_set is False


def test_this_quarters_payments_count_in_the_forecast_once():
    """A forecast covers the grant not yet paid when it is made: a payment made earlier in this quarter is
    added to it, one made after it is part of what it forecast, and the quarter never expects less than paid."""
    today = date(2026, 11, 30)
    now, next_quarter = date(2026, 10, 1), date(2027, 1, 1)
    terms = AwardTerms(lines=[ProfileLine(quarter_start=now, amount=Decimal("500000.00")),
                              ProfileLine(quarter_start=next_quarter, amount=Decimal("500000.00"))])
    made_at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    forecast = Forecast(created_at=made_at, lines=[ProfileLine(quarter_start=now, amount=Decimal("100000.00")),
                                                   ProfileLine(quarter_start=next_quarter, amount=Decimal("600000.00"))])
    earlier = budgets.PaymentMade(date(2026, 11, 2), datetime(2026, 11, 2, 9, tzinfo=UTC), Decimal("300000.00"))
    later = budgets.PaymentMade(date(2026, 11, 25), datetime(2026, 11, 25, 9, tzinfo=UTC), Decimal("50000.00"))
    past = budgets.PaymentMade(date(2026, 8, 1), datetime(2026, 8, 1, 9, tzinfo=UTC), Decimal("20000.00"))

    expected = budgets.award_forecast(terms, forecast, [past, earlier, later], today)
    assert expected == {date(2026, 7, 1): Decimal("20000.00"), now: Decimal("400000.00"),
                        next_quarter: Decimal("600000.00")}
    # Paid more this quarter than was forecast for it: the quarter expects what was paid.
    big = budgets.PaymentMade(date(2026, 11, 26), datetime(2026, 11, 26, 9, tzinfo=UTC), Decimal("250000.00"))
    assert budgets.award_forecast(terms, forecast, [earlier, later, big], today)[now] == Decimal("600000.00")
    # No forecast yet: the profile, or what was paid if that is more.
    assert budgets.award_forecast(terms, None, [earlier], today)[now] == Decimal("500000.00")
    assert budgets.award_forecast(terms, None, [earlier, big, later, earlier], today)[now] == Decimal("900000.00")
