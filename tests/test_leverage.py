"""The leverage report: figures for a small hand-built portfolio equal figures worked out by hand."""

import io
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from portfolio.dates import UK, financial_year_bounds, financial_year_of
from portfolio.models import Cluster, Rag, Region, Role
from portfolio.services import claims, leverage, monitoring, offers
from portfolio.services.errors import DomainError
from tests.builders import GOOD, accepted_award, forecast_with
from portfolio.models import Document, DocumentStatus
from portfolio.services import documents
from portfolio.services import api_tokens
from portfolio.models import LipComponentKind, LipComponentStatus, LipStage
from portfolio.services import lip
from tests.test_lip import _to_approvals, approve_all, open_case

TODAY = date.today()


@pytest.fixture
def portfolio(session, make, fund, people):
    """A: £4m accepted (project cost £20m, £16m private and 134.5 + 37 jobs contracted), £1.8m paid, two
    verified returns (the latest: £6m private, 50 + 37 jobs). B: £2m approved, no offer yet (£8m private
    contracted from the application, no jobs contracted). C: an offer declined: excluded."""
    a = accepted_award(session, make, fund, people, start=date(TODAY.year - 3, 4, 1),
                       completion=date(TODAY.year - 1, 3, 31))
    company = a.organisation.users[0]
    claim = claims.start(session, award=a, by=company, period_start=date(TODAY.year - 3, 4, 1),
                         period_end=date(TODAY.year - 3, 6, 30))
    claims.add_item(session, claim=claim, by=company, description="Plant", invoice_reference="P-1",
                    defrayed_on=date(TODAY.year - 3, 5, 1), amount=Decimal("8000000.00"))
    forecast_with(session, claim, company)
    claims.submit(session, claim=claim, by=company)
    claims.review(session, claim=claim, by=people["finance"], approved={claim.items[0].id: Decimal("8000000.00")},
                  reason=None)
    claims.record_payment(session, claim=claim, by=people["finance"], amount=Decimal("1800000.00"), paid_on=TODAY,
                          reference="B-1")
    first, second = monitoring.returns_of(session, a)[:2]
    second_values = GOOD | {"private_investment": Decimal("6000000.00"), "jobs_created": Decimal("50.0"),
                            "rd_spend": Decimal("100000.00"), "collaborations": 1, "patents_filed": 0,
                            "training_places": 2, "supply_chain_spend": Decimal("300000.00"),
                            "capital_spent": Decimal("9000000.00")}
    for monitoring_return, values in ((first, GOOD), (second, second_values)):
        monitoring.submit(session, monitoring_return=monitoring_return, by=company, values=values, narrative="-",
                          rag=Rag.GREEN, explanations={})
        monitoring.verify(session, monitoring_return=monitoring_return, by=people["approver"])
    third = monitoring.returns_of(session, a)[2]  # submitted, not verified: not counted
    monitoring.submit(session, monitoring_return=third, by=company, explanations={}, narrative="-", rag=Rag.GREEN,
                      values=second_values | {"private_investment": Decimal("9000000.00")})
    a.application.region, a.application.cluster, a.application.company_size = (
        Region.SCOTLAND, Cluster.SCOTLAND, "large")

    b = make.approved_application(fund, recommender=people["recommender"], assessor=people["assessor"],
                                  approver=people["approver"], grant=Decimal("2000000.00")).award
    b.application.region, b.application.cluster, b.application.company_size = (
        Region.NORTH_WEST, Cluster.NORTH_WEST, "medium")
    b.decided_at = datetime(2025, 3, 31, 23, 30, tzinfo=UK)  # the last half hour of 2024/25

    declined = make.approved_application(fund, recommender=people["recommender"], assessor=people["assessor"],
                                         approver=people["approver"], grant=Decimal("3000000.00"))
    offer = offers.issue(session, application=declined, by=people["approver"],
                         terms=replace(offers.default_terms(declined)))
    offers.decline(session, offer=offer, by=declined.organisation.users[0], reason="Building elsewhere")
    session.commit()
    return {"a": a, "b": b}


def test_the_totals_match_figures_worked_out_by_hand(session, portfolio):
    result = leverage.report(session)
    total = result.total
    assert total.awards == 2
    assert (total.grant_committed, total.grant_paid, total.total_project_cost) == (
        Decimal("6000000.00"), Decimal("1800000.00"), Decimal("30000000.00"))
    assert (total.private_contracted, total.private_actual) == (Decimal("24000000.00"), Decimal("6000000.00"))
    assert total.leverage_contracted == Decimal("4.00")  # £24m private per £6m committed
    assert total.leverage_actual == Decimal("3.33")  # £6m verified per £1.8m paid
    assert total.project_cost_leverage == Decimal("5.00")
    assert (total.jobs_created_contracted, total.jobs_safeguarded_contracted) == (Decimal("134.5"), Decimal("37.0"))
    assert (total.jobs_created_actual, total.jobs_safeguarded_actual) == (Decimal("50.0"), Decimal("37.0"))
    # Net factor 0.8 × 0.9 × 0.75 × 1 × 1.0 = 0.54 (the illustrative defaults).
    assert result.settings.version is None and result.settings.net_factor == Decimal("0.54")
    assert total.cost_per_job_gross_contracted == Decimal("34985.42")  # £6m ÷ 171.5
    assert total.cost_per_job_net_contracted == Decimal("64787.82")  # £6m ÷ (171.5 × 0.54)
    assert total.cost_per_job_gross_actual == Decimal("20689.66")  # £1.8m ÷ 87
    assert total.cost_per_job_net_actual == Decimal("38314.18")  # £1.8m ÷ (87 × 0.54)
    assert (total.net_jobs_contracted, total.net_jobs_actual) == (Decimal("92.6"), Decimal("47.0"))
    # Spillovers add up over both verified returns (£250,000 + £100,000 R&D ...).
    assert (total.rd_spend, total.collaborations, total.patents_filed, total.training_places,
            total.supply_chain_spend) == (Decimal("350000.00"), 3, 1, 8, Decimal("1500000.00"))


def test_breakdowns_and_filters(session, portfolio, fund):
    result = leverage.report(session)
    assert list(result.by_region) == [Region.NORTH_WEST.label, Region.SCOTLAND.label]
    assert result.by_region[Region.SCOTLAND.label].grant_committed == Decimal("4000000.00")
    assert result.by_cluster[Cluster.NORTH_WEST.label].private_contracted == Decimal("8000000.00")
    this_year = financial_year_of(portfolio["a"].decided_at)
    assert list(result.by_year) == ["2024/25", this_year]
    assert result.by_year["2024/25"].grant_committed == Decimal("2000000.00")

    def awards(**filters) -> int:
        return leverage.report(session, leverage.Filters(**filters)).total.awards

    assert awards(financial_year="2024/25") == 1 and awards(financial_year="2025/26") == int(this_year == "2025/26")
    assert awards(region=Region.SCOTLAND) == 1 and awards(region=Region.LONDON) == 0
    assert awards(cluster=Cluster.NORTH_WEST) == 1
    assert awards(company_size="medium") == 1 and awards(company_size="micro") == 0
    assert awards(programme="LSIMF") == 2 and awards(programme="LIP") == 0
    assert awards(round_id=fund.rounds[0].id) == 2


def test_financial_years_turn_at_midnight_uk_time_on_31_march():
    assert financial_year_of(datetime(2025, 3, 31, 23, 59, tzinfo=UK)) == "2024/25"
    assert financial_year_of(datetime(2025, 4, 1, 0, 0, tzinfo=UK)) == "2025/26"
    start, end = financial_year_bounds("2025/26")
    assert (start.astimezone(UK).date(), end.astimezone(UK).date()) == (date(2025, 4, 1), date(2026, 4, 1))


def test_new_additionality_settings_change_the_net_figures_and_are_stated(session, portfolio, people):
    leverage.save_additionality(session, by=people["finance"], deadweight=Decimal("0.1000"),
                                leakage=Decimal("0.1000"), displacement=Decimal("0.2500"),
                                substitution=Decimal("0.0000"), multiplier=Decimal("1.30"))
    session.commit()
    result = leverage.report(session)
    assert result.settings.net_factor == Decimal("0.78975")  # 0.9 × 0.9 × 0.75 × 1 × 1.3
    assert result.total.cost_per_job_net_contracted == Decimal("44299.36")
    assert result.total.cost_per_job_gross_contracted == Decimal("34985.42")  # gross is unchanged
    assert "settings version" in result.settings.description and "Fin Finance" in result.settings.description
    with pytest.raises(DomainError, match="Leakage must be from 0% to 99.99%"):
        leverage.save_additionality(session, by=people["finance"], deadweight=Decimal("0"), leakage=Decimal("1"),
                                    displacement=Decimal("0"), substitution=Decimal("0"), multiplier=Decimal("1"))


def test_finance_reads_the_report_filters_it_and_downloads_csv_and_xlsx(client, session, portfolio, people):
    from openpyxl import load_workbook

    client.sign_in(people["finance"].email)
    page = client.get("/reports/leverage")
    assert page.status == 200
    totals = page.html.select_one("#totals").text
    assert "£6,000,000.00" in totals and "£24,000,000.00" in totals and "£4.00" in totals and "£3.33" in totals
    assert "net factor 0.5400" in page.html.select_one("#settings-used").text
    assert page.html.select_one('#settings-used a[href="/reports/additionality"]') is not None
    assert page.html.select_one("svg#chart-years title").text.startswith("Grant committed")
    assert "2024/25" in page.html.select_one("#by-year").text  # the chart's text alternative
    assert [r.select_one("th").text for r in page.html.select("#by-region tbody tr")] == [
        Region.NORTH_WEST.label, Region.SCOTLAND.label]

    filtered = client.get("/reports/leverage?region=TLM&financial_year=&company_size=large")
    assert filtered.status == 200 and "region: Scotland; company size: Large" in filtered.text
    assert "£4,000,000.00" in filtered.html.select_one("#totals").text
    bad = client.get("/reports/leverage?region=XX&round_id=abc")
    assert bad.status == 400
    assert {"Select a region from the list", "Select a round from the list"} <= set(bad.error_summary())
    assert client.get("/reports/leverage.csv?cluster=nowhere").status == 400

    csv_text = client.get("/reports/leverage.csv?region=TLM").response.data.decode()
    assert csv_text.startswith("\ufeff")  # a byte order mark, so Excel reads the £ signs as UTF-8
    lines = csv_text.removeprefix("\ufeff").splitlines()
    assert lines[0].startswith("Breakdown,Group,Awards,Grant committed (£),Grant paid (£)")
    assert lines[1].startswith("All,Total,1,4000000.00,1800000.00,20000000.00,16000000.00,6000000.00,4.00,3.33")
    assert any(line.startswith("Filter,Region: Scotland") for line in lines)
    workbook = load_workbook(io.BytesIO(client.get("/reports/leverage.xlsx").response.data))
    sheet = workbook["Leverage"]
    assert [c.value for c in sheet[2]][:5] == ["All", "Total", 2, 6000000, 1800000]
    assert sheet["D2"].number_format == "#,##0.00"
    assert "net factor 0.5400" in workbook["About"]["B1"].value


def test_the_leverage_pdf_and_the_implementation_update_are_made_by_jobs(client, session, portfolio, people,
                                                                         run_jobs):
    from pypdf import PdfReader

    def pdf_text(location: str) -> str:
        run_jobs()
        session.expire_all()
        document = session.get(Document, int(location.rsplit("/", 1)[1]))
        assert document.status is DocumentStatus.READY, document.error
        reader = PdfReader(io.BytesIO(documents.load_content(session, document)))
        return " ".join(page.extract_text() for page in reader.pages)

    client.sign_in(people["finance"].email)
    made = client.submit("/reports/leverage/pdf?region=TLM", form_url="/reports/leverage")
    assert made.status == 302
    text = pdf_text(made.location)
    assert "region: Scotland" in text and "£4,000,000.00" in text and "£16,000,000.00" in text
    assert "Total project cost per £1 of grant" in text

    this_year = financial_year_of(portfolio["a"].decided_at)
    made = client.submit("/reports/implementation-update", {"financial_year": this_year})
    assert made.status == 302
    text = pdf_text(made.location)
    assert f"Annual implementation update, {this_year}" in text
    assert "Action 19" in text and "Action 22" in text and "Action 23" in text
    assert "£4,000,000.00" in text  # A was decided this year; B (2024/25) only counts to date
    assert client.submit("/reports/implementation-update", {"financial_year": "1999/00"}).status == 400


def test_only_finance_and_admin_change_the_additionality_settings(client, session, people, make):
    client.sign_in(people["recommender"].email)  # a fund manager reads reports but does not set assumptions
    assert client.get("/reports/leverage").status == 200
    assert client.get("/reports/additionality").status == 403
    client.sign_out()
    applicant = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(applicant.email)
    assert client.get("/reports/leverage").status == 403
    client.sign_out()
    client.sign_in(people["finance"].email)
    bad = client.submit("/reports/additionality", {"deadweight": "120", "leakage": "", "displacement": "25",
                                                   "substitution": "0", "multiplier": "9"})
    assert bad.status == 400 and "Enter the leakage" in bad.error_summary()
    done = client.submit("/reports/additionality", {"deadweight": "15", "leakage": "10", "displacement": "20",
                                                    "substitution": "5", "multiplier": "1.2"}, follow=True)
    assert "Additionality settings saved" in done.text
    assert "settings version" in done.html.select_one("#in-force").text
    assert leverage.additionality(session).multiplier == Decimal("1.20")


def test_the_api_serves_the_same_figures_with_money_as_strings(client, session, portfolio, people):
    _, secret = api_tokens.create(session, name="Leverage", scopes=["leverage:read"], by=people["finance"])
    _, other = api_tokens.create(session, name="Awards", scopes=["awards:read"], by=people["finance"])
    session.commit()

    def get(path: str, token: str = secret):
        return client.get(path, headers={"Authorization": f"Bearer {token}"}).response

    body = get("/api/v1/leverage").get_json()["data"]
    total = body["total"]
    assert (total["awards"], total["grant_committed"], total["grant_paid"]) == (2, "6000000.00", "1800000.00")
    assert (total["private_contracted"], total["leverage_contracted"], total["leverage_actual"]) == (
        "24000000.00", "4.00", "3.33")
    assert (total["cost_per_job_net_contracted"], total["jobs_created_actual"]) == ("64787.82", "50.0")
    assert body["settings"]["net_factor"] == "0.540000" and body["settings"]["version"] is None
    assert [g["group"] for g in body["by_region"]] == [Region.NORTH_WEST.label, Region.SCOTLAND.label]

    scotland = get("/api/v1/leverage?region=TLM&company_size=large").get_json()["data"]
    assert scotland["filters"] == {"region": "TLM", "company_size": "large"}
    assert scotland["total"]["grant_committed"] == "4000000.00"
    assert get("/api/v1/leverage?financial_year=2025/27").status_code == 400
    assert get("/api/v1/leverage?region=XX").status_code == 400
    assert get("/api/v1/leverage", other).status_code == 403
    assert client.get("/api/v1/leverage").response.status_code == 401


def test_agreed_large_investment_cases_count_as_the_lip_programme(client, session, make, portfolio, people):
    people |= {"am": make.user(Role.ACCOUNT_MANAGER), "fm": people["recommender"]}
    session.commit()
    case = open_case(session, make, people)  # £300,000,000.01; 450 + 120.5 jobs; a site in Speke (North West)
    for kind, amount, status in ((LipComponentKind.BRITISH_BUSINESS_BANK, "20000000.00", LipComponentStatus.AGREED),
                                 (LipComponentKind.RD_GRANT, "10000000.00", LipComponentStatus.PROPOSED)):
        lip.add_component(session, case=case, by=people["am"], kind=kind, owner_body="", amount=Decimal(amount),
                          description="", status=status, is_subsidy=False)
    _to_approvals(session, case, people["am"])
    approve_all(session, case, people["am"])
    open_case(session, make, people, title="Still negotiating")  # not agreed: not counted
    assert leverage.report(session).total.awards == 2  # before the case is agreed
    lip.move(session, case=case, to=LipStage.AGREED, by=people["am"])
    session.commit()

    total = leverage.report(session).total
    assert total.awards == 3
    assert total.grant_committed == Decimal("26000000.00")  # £6m LSIMF + the £20m agreed (the proposed £10m is not)
    assert total.total_project_cost == Decimal("330000000.01")
    assert total.private_contracted == Decimal("304000000.01")  # £24m + (£300,000,000.01 − the £20m agreed)
    assert (total.jobs_created_contracted, total.jobs_safeguarded_contracted) == (Decimal("584.5"), Decimal("157.5"))
    assert total.private_actual == Decimal("6000000.00")  # cases have no verified actuals

    only = leverage.report(session, leverage.Filters(programme=leverage.LIP))
    assert (only.total.awards, only.total.grant_committed) == (1, Decimal("20000000.00"))
    assert list(only.by_region) == [Region.NORTH_WEST.label]
    assert leverage.report(session, leverage.Filters(programme="LSIMF")).total.awards == 2
    client.sign_in(people["finance"].email)
    page = client.get("/reports/leverage?programme=LIP")
    assert page.status == 200 and "programme: Life Sciences Large Investment Portfolio" in page.text
    assert "£20,000,000.00" in page.html.select_one("#totals").text
