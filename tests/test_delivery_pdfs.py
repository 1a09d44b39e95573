"""The delivery PDFs: the monitoring return (with its verification stamp) and the claim statement.
Every figure printed is read back with pypdf and compared with the database."""

import io
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portfolio.dates import govuk_date
from portfolio.extensions import queue
from portfolio.models import Document, DocumentKind, DocumentStatus, Rag
from portfolio.money import money
from portfolio.services import claims, documents, monitoring
from portfolio.services.monitoring import show_figure
from tests.builders import GOOD, accepted_award, forecast_with
from tests.conftest import REDIS_URL, needs_redis
from tests.test_workers import ROOT, _worker_env

TODAY = date.today()


@pytest.fixture
def award(session, make, fund, people):
    return accepted_award(session, make, fund, people, start=date(TODAY.year - 2, 4, 1),
                          completion=date(TODAY.year - 1, 3, 31))


@pytest.fixture
def verified_return(session, award, people):
    first = monitoring.returns_of(session, award)[0]
    values = GOOD | {"private_investment": Decimal("4123456.78"), "jobs_created": Decimal("41.5"),
                     "patents_filed": 3, "supply_chain_spend": Decimal("987654.32")}
    monitoring.submit(session, monitoring_return=first, by=award.organisation.users[0], values=values,
                      narrative="Cleanroom shell complete; validation starts next quarter", rag=Rag.AMBER,
                      explanations={})
    monitoring.verify(session, monitoring_return=first, by=people["approver"])
    session.commit()
    return first


def text_of(session, document: Document) -> str:
    session.expire_all()
    document = session.get(Document, document.id)
    assert document.status is DocumentStatus.READY, document.error
    content = documents.load_content(session, document)
    assert content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"[ \t]+", " ", text)


def request_return_pdf(client, monitoring_return) -> Document:
    client.sign_in(monitoring_return.award.organisation.users[0].email)
    url = f"/awards/returns/{monitoring_return.id}"
    page = client.submit(f"{url}/pdf", form_url=url)
    assert page.status == 302 and page.location.startswith("/documents/")
    return Document(id=int(page.location.rsplit("/", 1)[1]))


def assert_return_matches(text: str, monitoring_return) -> None:
    award = monitoring_return.award
    assert award.organisation.name in text and award.organisation.company_number in text
    assert f"{govuk_date(monitoring_return.period_start)} to {govuk_date(monitoring_return.period_end)}" in text
    for name, _ in monitoring.FIGURES:
        assert show_figure(name, getattr(monitoring_return, name)) in text, name
    assert "Amber" in text and "Cleanroom shell complete" in text
    assert f"Verified by {monitoring_return.verified_by.name}" in text


def test_the_monitoring_return_pdf_prints_every_figure_and_the_stamp(client, session, verified_return, run_jobs):
    document = request_return_pdf(client, verified_return)
    run_jobs()
    text = text_of(session, document)
    assert_return_matches(text, verified_return)
    assert "£4,123,456.78" in text and "41.5" in text and "£16,000,000.00" in text  # reported and contracted


@needs_redis
def test_a_real_rq_worker_renders_the_monitoring_return_pdf(app, client, session, verified_return, run_jobs):
    app.config["STORAGE_BACKEND"] = "database"  # the worker is another process: share files via the DB
    run_jobs()  # the emails and offer letter so far
    document = request_return_pdf(client, verified_return)
    assert queue.queue.count == 1
    result = subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL, app.config["RQ_QUEUE"]],
        cwd=ROOT, env=_worker_env(app), capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert_return_matches(text_of(session, document), verified_return)


def test_the_claim_statement_lists_claims_approvals_payments_and_retention(client, session, award, people,
                                                                          run_jobs):
    company, finance = award.organisation.users[0], people["finance"]
    for number, (cost, approve) in enumerate([("1000000.00", "1000000.00"), ("600000.00", "500000.01")], start=1):
        claim = claims.start(session, award=award, by=company, period_start=date(TODAY.year - 2, 4, 1),
                             period_end=date(TODAY.year - 2, 6, 30))
        claims.add_item(session, claim=claim, by=company, description=f"Equipment {number}",
                        invoice_reference=f"INV-{number}", defrayed_on=date(TODAY.year - 2, 5, 1),
                        amount=Decimal(cost))
        forecast_with(session, claim, company)
        claims.submit(session, claim=claim, by=company)
        claims.review(session, claim=claim, by=finance, approved={claim.items[0].id: Decimal(approve)},
                      reason="Part of the invoice was for spares" if cost != approve else None)
        if number == 1:
            claims.record_payment(session, claim=claim, by=finance, amount=claim.payable, paid_on=TODAY,
                                  reference="BACS-001")
    session.commit()
    client.sign_in(company.email)
    page = client.submit(f"/awards/{award.id}/statement", form_url=f"/awards/{award.id}")
    document = Document(id=int(page.location.rsplit("/", 1)[1]))
    run_jobs()
    text = text_of(session, document)
    assert session.get(Document, document.id).kind is DocumentKind.CLAIM_STATEMENT
    every = claims.claims_of(session, award)
    for claim in every:
        for value in (claim.claimed, claim.approved_costs, claim.grant_due, claim.retention, claim.payable):
            assert money(value) in text, (claim.number, value)
    assert [c.grant_due for c in every] == [Decimal("250000.00"), Decimal("125000.00")]
    position = claims.position(session, award)
    for value in (position.award, position.approved, position.paid, position.retention_held, position.left_to_claim):
        assert money(value) in text
    assert "BACS-001" in text and "Part of the invoice was for spares" in text
    assert session.scalar(sa.select(sa.func.count()).select_from(Document)
                          .where(Document.kind == DocumentKind.CLAIM_STATEMENT)) == 1
