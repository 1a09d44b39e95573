"""The leverage report and the Annex A update read each award's current terms, and show the terms as
first offered beside them (issue 15, point 5)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from flask import render_template

from portfolio.dates import financial_year_of
from portfolio.models import Document, DocumentStatus, Variation, VariationKind, VariationStatus
from portfolio.services import award_terms, documents, implementation_update, leverage, profiles, workflow
from tests.builders import accepted_award

TODAY = date.today()


def vary(session, award, *, company, fund_manager, kind=VariationKind.GRANT_AMOUNT, profile=None, **values):
    """An accepted variation of `award` (made directly: the variations service is built elsewhere), and
    the version of the terms it adds."""
    variation = Variation(award=award, number=len(award.variations) + 1, kind=kind, reasons="Costs fell",
                          requested_by_id=company.id,
                          **{f"new_{name}": value for name, value in values.items() if name != "amount"},
                          new_amount=values.get("amount"))
    workflow.start(session, variation, by=company)
    workflow.transition(session, variation, VariationStatus.APPROVED, by=fund_manager)
    workflow.transition(session, variation, VariationStatus.ACCEPTED, by=company)
    terms = award_terms.add_version(session, award, variation=variation, by=company, values=values,
                                    profile=profile)
    session.commit()
    return variation, terms


@pytest.fixture
def varied(session, make, fund, people):
    """A £4m award (£16m private, 134.5 + 37 jobs contracted) varied to £3m, £12m private and 100 + 37 jobs;
    and a second £4m award never varied."""
    award = accepted_award(session, make, fund, people, start=date(TODAY.year, 4, 1) if TODAY.month > 3 else
                           date(TODAY.year - 1, 4, 1), completion=date(TODAY.year + 2, 3, 31))
    company = award.organisation.users[0]
    old = award_terms.current_profile(award)
    vary(session, award, company=company, fund_manager=people["approver"], amount=Decimal("3000000.00"),
         contracted_private_investment=Decimal("12000000.00"), jobs_created=Decimal("100.0"),
         profile=profiles.scale(old, Decimal("3000000.00")))
    other = accepted_award(session, make, fund, people, start=date(TODAY.year + 1, 1, 1),
                           completion=date(TODAY.year + 2, 12, 31))
    return {"award": award, "other": other}


def test_the_leverage_report_uses_the_latest_terms_and_keeps_the_first(session, varied):
    award = varied["award"]
    assert [terms.version for terms in award.terms_versions] == [1, 2]
    assert award.first_terms.amount == Decimal("4000000.00") and award.amount == Decimal("3000000.00")

    total = leverage.report(session).total
    assert total.awards == 2 and total.awards_varied == 1
    assert (total.grant_committed, total.grant_committed_first) == (Decimal("7000000.00"), Decimal("8000000.00"))
    assert (total.private_contracted, total.private_contracted_first) == (
        Decimal("28000000.00"), Decimal("32000000.00"))
    assert (total.jobs_created_contracted, total.jobs_created_contracted_first) == (
        Decimal("234.5"), Decimal("269.0"))
    assert total.jobs_safeguarded_contracted == total.jobs_safeguarded_contracted_first == Decimal("74.0")
    assert total.leverage_contracted == Decimal("4.00") and total.leverage_contracted_first == Decimal("4.00")
    # Every group adds up the same way.
    (year_figures,) = leverage.report(session).by_year.values()
    assert year_figures.grant_committed_first - year_figures.grant_committed == Decimal("1000000.00")


def test_without_a_variation_first_offered_equals_current(session, make, fund, people):
    accepted_award(session, make, fund, people, start=date(TODAY.year + 1, 1, 1),
                   completion=date(TODAY.year + 2, 12, 31))
    make.approved_application(fund, recommender=people["recommender"], assessor=people["assessor"],
                              approver=people["approver"])  # approved, no offer yet: the application's figures
    total = leverage.report(session).total
    assert total.awards == 2 and total.awards_varied == 0
    for first, current in leverage.FIRST_OF.items():
        assert getattr(total, first) == getattr(total, current), first


def test_the_page_shows_as_first_offered_beside_as_varied(client, session, varied, people):
    client.sign_in(people["finance"].email)
    page = client.get("/reports/leverage")
    assert page.status == 200
    assert "1 of these 2 awards has been varied" in page.html.select_one("#as-varied").text
    headers = [th.text for th in page.html.select("#totals thead th")]
    assert headers == ["Measure", "Contracted, as varied", "As first offered", "Actual"]
    grant = [td.text for td in page.html.select("#total-grant td")]
    assert grant[:2] == ["£7,000,000.00", "£8,000,000.00"]
    assert [td.text for td in page.html.select("#total-private td")][:2] == ["£28,000,000.00", "£32,000,000.00"]
    assert [td.text for td in page.html.select("#total-jobs-created td")][:2] == ["234.5", "269.0"]
    assert "Grant committed (as varied)" in [th.text for th in page.html.select("#by-year thead th")]
    grant_cell, private_cell, *_ = page.html.select("#by-year tbody tr")[0].select("td")[1:]
    assert " ".join(grant_cell.get_text(" ").split()) == "£7,000,000.00 first offered £8,000,000.00"
    assert " ".join(private_cell.get_text(" ").split()) == "£28,000,000.00 first offered £32,000,000.00"


def test_the_downloads_carry_first_offered_columns(client, session, varied, people):
    from openpyxl import load_workbook

    client.sign_in(people["finance"].email)
    text = client.get("/reports/leverage.csv").response.data.decode().removeprefix("\ufeff")
    lines = list(csv.reader(io.StringIO(text)))
    row = dict(zip(lines[0], lines[1]))
    assert row["Grant committed (£)"] == "7000000.00"
    assert row["Grant committed, as first offered (£)"] == "8000000.00"
    assert row["Private investment contracted, as first offered (£)"] == "32000000.00"
    assert row["Jobs created contracted, as first offered (FTE)"] == "269.0"
    assert row["Awards varied"] == "1"
    assert any(line[:1] == ["Terms"] and "as first offered" in line[1] for line in lines)
    sheet = load_workbook(io.BytesIO(client.get("/reports/leverage.xlsx").response.data))["Leverage"]
    values = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]]))
    assert values["Grant committed, as first offered (£)"] == 8000000
    assert values["Grant committed (£)"] == 7000000


def test_the_pdfs_show_both(client, session, varied, people, run_jobs):
    from pypdf import PdfReader

    html = render_template("pdf/leverage_report.html", report=leverage.report(session), chart=leverage.chart(
        leverage.report(session).by_year), columns=leverage.COLUMNS, filter_labels=[], generated_at=None)
    assert "Contracted, as varied" in html and "As first offered" in html

    client.sign_in(people["finance"].email)
    year = financial_year_of(varied["award"].decided_at)
    made = client.submit("/reports/implementation-update", {"financial_year": year})
    assert made.status == 302
    run_jobs()
    session.expire_all()
    document = session.get(Document, int(made.location.rsplit("/", 1)[1]))
    assert document.status is DocumentStatus.READY, document.error
    reader = PdfReader(io.BytesIO(documents.load_content(session, document)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Grant committed, as varied £7,000,000.00" in text
    assert "Grant committed, as first offered £8,000,000.00" in text
    assert "contracted as first offered £32,000,000.00" in text


def test_the_annex_a_update_uses_the_current_terms(session, varied):
    update = implementation_update.build(session, financial_year_of(varied["award"].decided_at))
    assert update.in_year.grant_committed == Decimal("7000000.00")
    assert update.in_year.grant_committed_first == Decimal("8000000.00")
    assert update.to_date.awards_varied == 1
