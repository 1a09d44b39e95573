import sqlalchemy as sa

from portfolio.models import Application, ApplicationStatus, AuditEvent, Fund, Organisation, Role, User
from portfolio.seed import DEMO_PASSWORD


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
    [application] = session.scalars(sa.select(Application)).all()
    assert application.status is ApplicationStatus.SUBMITTED and len(application.versions) == 1
    assert application.organisation.name == "Clyde Precision Medicines Ltd"
    # ... with its grant profile: the £5m it asks for, by quarter, inside its project period
    assert sum(line.amount for line in application.profile_lines) == application.grant_requested
    assert [str(line.quarter_start) for line in application.profile_lines] == [
        "2027-01-01", "2027-04-01", "2027-07-01", "2027-10-01"]
    assert f"LSIMF-{application.id:05d}" in first.output
    assert f"LSIMF-{application.id:05d}" in client.get("/assessments/").html.select_one("#to-assign").text


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
