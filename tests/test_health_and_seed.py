from decimal import Decimal

import sqlalchemy as sa

from portfolio.dates import add_months, financial_year_of, uk_today
from portfolio.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Award,
    AwardStatus,
    Fund,
    Organisation,
    Role,
    User,
    VariationKind,
    VariationStatus,
)
from portfolio.seed import DEMO_PASSWORD, _award_period
from portfolio.services import budgets, forecasts


def test_healthz_reports_database_and_queue(client):
    response = client.get("/healthz").response
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and body["queue"] == "ok" and body["status"] == "ok"


def test_healthz_is_503_when_the_queue_is_unreachable(app, client):
    from redis import Redis
    from rq import Queue

    working = app.extensions["portfolio_queue"]
    app.extensions["portfolio_queue"] = Queue("dead", connection=Redis(port=1, socket_connect_timeout=0.2))
    try:
        response = client.get("/healthz").response
    finally:
        app.extensions["portfolio_queue"] = working
    assert response.status_code == 503
    assert response.get_json()["queue"].startswith("error")


def test_seed_demo_creates_everything_once(app, client, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@portfolio.example" in first.output and DEMO_PASSWORD in first.output
    counts = lambda: [session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Fund, Organisation, User)]  # noqa: E731
    session.expire_all()
    before = counts()
    second = runner.invoke(args=["seed-demo"])
    assert "nothing created" in second.output
    session.expire_all()
    # 7 staff (two fund managers, two assessors), 2 company users; a third company has only a LIP case
    assert counts() == before == [1, 3, 9]
    assert "LIP-00001" in first.output
    fund = session.scalar(sa.select(Fund))
    assert str(fund.budget) == "520000000.00"
    assert {year: str(amount) for year, amount in fund.year_budgets.items()} == {
        "2025/26": "60000000.00", "2026/27": "150000000.00", "2027/28": "170000000.00", "2028/29": "140000000.00"}
    assert "LSIMF budget by financial year: 2025/26 £60m, 2026/27 £150m, 2027/28 £170m, 2028/29 £140m" in first.output
    assert {u.role for u in session.scalars(sa.select(User))} == set(Role)
    # Every demo account can sign in with the printed password.
    client.sign_in("fund.manager@portfolio.example", DEMO_PASSWORD)
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) >= 3
    # A complete application, submitted through the company's own services, waits for assessors.
    [application] = session.scalars(sa.select(Application).where(
        Application.status == ApplicationStatus.SUBMITTED)).all()
    assert application.status is ApplicationStatus.SUBMITTED and len(application.versions) == 1
    assert application.organisation.name == "Clyde Precision Medicines Ltd"
    # ... with its grant profile: the £5m it asks for, by quarter, inside its project period
    assert sum(line.amount for line in application.profile_lines) == application.grant_requested
    assert [str(line.quarter_start) for line in application.profile_lines] == [
        "2027-01-01", "2027-04-01", "2027-07-01", "2027-10-01"]
    assert f"LSIMF-{application.id:05d}" in first.output
    assert f"LSIMF-{application.id:05d}" in client.get("/assessments/").html.select_one("#to-assign").text


def test_seed_demo_makes_an_award_in_delivery_the_finance_pages_show(app, client, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "an award in delivery" in first.output
    runner.invoke(args=["seed-demo"])
    session.expire_all()
    award, offered = session.scalars(sa.select(Award).order_by(Award.id)).all()  # once only
    assert award.organisation.name == "Northern Biologics Ltd" and award.status is AwardStatus.ACCEPTED
    # A second award, offered to Clyde Precision Medicines, waits for the company to accept it.
    assert offered.organisation.name == "Clyde Precision Medicines Ltd" and offered.status is AwardStatus.OFFERED
    assert offered.amount == Decimal("4000000.00")
    assert award.amount == Decimal("9600000.00")
    # Its terms: as offered, then re-profiled by an accepted variation; a time extension waits.
    assert [terms.version for terms in award.terms_versions] == [1, 2]
    assert [(v.kind, v.status) for v in award.variations] == [
        (VariationKind.REPROFILE, VariationStatus.ACCEPTED), (VariationKind.TIME_EXTENSION, VariationStatus.REQUESTED)]
    # The company's forecast slips grant into the next year: the award is flagged.
    assert forecasts.flagged(award)
    # The finance ledger by year: committed in the project's years, paid this year, a forecast that differs.
    today = uk_today()
    start, completion = _award_period()
    ledger = budgets.year_ledger(session, award.fund, today=today)
    rows = {row.year: row for row in ledger.years}
    this_year, next_year = financial_year_of(today), financial_year_of(add_months(today, 12))
    assert ledger.totals.committed == Decimal("13600000.00")  # both awards
    assert all(rows[financial_year_of(day)].committed > 0 for day in (start, completion))
    assert rows[this_year].paid == Decimal("720000.00") == ledger.totals.paid  # £4m of costs at 20%, less 10%
    assert rows[this_year].forecast < rows[this_year].committed
    assert rows[next_year].forecast > rows[next_year].committed
    # ... which the finance page shows.
    client.sign_in("finance@portfolio.example", DEMO_PASSWORD)
    page = client.get("/reports/budget-by-year").html.text
    assert "£720,000" in page and "£13,600,000" in page
    client.sign_out()
    # The fund manager sees the forecast that varies, and the time extension to decide.
    client.sign_in("decider@portfolio.example", DEMO_PASSWORD)
    flagged = client.get("/awards/forecasts?forecast=varies").html.text
    assert "Northern Biologics Ltd" in flagged and "Clyde Precision Medicines Ltd" not in flagged
    queue = client.get("/variations/").html.text
    assert "Time extension" in queue and "Northern Biologics Ltd" in queue
    assert client.get(f"/awards/{award.id}").status == 200


def test_create_admin_command(app, client, session):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["create-admin", "--email", "not-an-email", "--name", "Ada",
                              "--password", "a-long-unusual-passphrase"])
    assert bad.exit_code == 2 and "email" in bad.output.lower()
    weak = runner.invoke(args=["create-admin", "--email", "ada@ols.example", "--name", "Ada",
                               "--password", "password1234"])
    assert weak.exit_code == 2 and "too common" in weak.output
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    good = runner.invoke(args=["create-admin", "--email", "ada@ols.example", "--name", "Ada",
                               "--password", "a-long-unusual-passphrase"])
    assert good.exit_code == 0, good.output
    client.sign_in("ada@ols.example", "a-long-unusual-passphrase")
    # The first administrator sets up a second factor at their first sign-in, like all staff.
    assert client.get("/admin/users").location == "/account/authenticator?next=/admin/users"
    client.set_up_authenticator()
    assert client.get("/admin/users").status == 200
