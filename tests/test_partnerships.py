"""Strategic partnerships (issue 8): the status table, RAG derivation at its boundaries,
financial-year bucketing (31 March against 1 April), progress with evidence, the partnership
report PDF, and access: company users get 404 from every partnership URL and document."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from werkzeug.datastructures import FileStorage

from portfolio.access import declared_roles
from portfolio.dates import financial_year_of
from portfolio.models import (
    AuditEvent,
    CommitmentMeasure,
    CommitmentStatus,
    Document,
    DocumentStatus,
    Partnership,
    PartnershipStatus,
    Rag,
    Role,
)
from portfolio.services import documents, partnerships, workflow
from portfolio.services.errors import DomainError
from portfolio.services.workflow import InvalidTransition
from tests.builders import PDF

TODAY = date.today()
P = PartnershipStatus


def new_partnership(session, make, people, *, signed_on=None, title="Cancer therapies partnership",
                    organisation=None):
    partnership = partnerships.create_partnership(
        session, by=people["am"], organisation_id=(organisation or make.organisation()).id, new_organisation=None,
        title=title, departments=["DSIT", "DHSC"], lead_id=people["am"].id)
    if signed_on is not None:
        partnerships.move(session, partnership=partnership, to=P.ACTIVE, by=people["am"], signed_on=signed_on)
    session.commit()
    return partnership


def commit_to(session, partnership, by, *, measure=CommitmentMeasure.INVESTMENT, target=Decimal("1000.00"),
              start=date(2025, 1, 1), days=100):
    commitment = partnerships.add_commitment(
        session, partnership=partnership, by=by, measure=measure, description=f"{measure.label} commitment",
        target_value=target, unit="", start_on=start, target_on=start + timedelta(days=days))
    session.commit()
    return commitment


# --- statuses ---------------------------------------------------------------------------------------

def test_the_declared_status_table(session, make, people):
    moves = {(rule.source, rule.target) for rule in workflow.machine_of(Partnership).transitions if rule.source}
    assert moves == {(P.NEGOTIATING, P.ACTIVE), (P.ACTIVE, P.COMPLETED), (P.NEGOTIATING, P.TERMINATED),
                     (P.ACTIVE, P.TERMINATED)}
    partnership = new_partnership(session, make, people)
    with pytest.raises(DomainError, match="Enter the date the partnership was signed"):
        partnerships.move(session, partnership=partnership, to=P.ACTIVE, by=people["am"])
    with pytest.raises(InvalidTransition, match="cannot move from negotiating to completed"):
        partnerships.move(session, partnership=partnership, to=P.COMPLETED, by=people["am"])
    with pytest.raises(InvalidTransition, match="Your role"):
        partnerships.move(session, partnership=partnership, to=P.ACTIVE, by=people["fm"], signed_on=TODAY)
    partnerships.move(session, partnership=partnership, to=P.ACTIVE, by=people["am"], signed_on=TODAY)
    with pytest.raises(InvalidTransition, match="Enter why the partnership was terminated"):
        partnerships.move(session, partnership=partnership, to=P.TERMINATED, by=people["am"], reason="  ")
    partnerships.move(session, partnership=partnership, to=P.TERMINATED, by=people["am"], reason="Partner withdrew")
    session.commit()
    assert partnership.status is P.TERMINATED and partnership.termination_reason == "Partner withdrew"
    with pytest.raises(DomainError, match="can no longer change"):
        commit_to(session, partnership, people["am"])
    actions = session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "partnerships")).all()
    assert actions == ["partnership.created", "partnership.signed", "partnership.terminated"]


# --- RAG at the boundaries ----------------------------------------------------------------------------

@pytest.mark.parametrize("achieved, expected_rag", [
    (Decimal("450.00"), Rag.GREEN),  # exactly 90% of the £500 expected on day 50 of 100
    (Decimal("449.99"), Rag.AMBER),
    (Decimal("350.00"), Rag.AMBER),  # exactly 70%
    (Decimal("349.99"), Rag.RED),
    (Decimal("0.00"), Rag.RED),
])
def test_rag_from_the_straight_line_at_the_boundaries(session, make, people, achieved, expected_rag):
    partnership = new_partnership(session, make, people, signed_on=date(2025, 1, 1))
    commitment = commit_to(session, partnership, people["am"])
    day_50 = date(2025, 1, 1) + timedelta(days=50)
    assert partnerships.expected(commitment, day_50) == Decimal("500.00")
    partnerships.record_progress(session, commitment=commitment, by=people["am"], on=day_50, value=achieved, note="")
    session.commit()
    assert partnerships.derived_rag(commitment, day_50) is expected_rag
    # A later update counts only from its date.
    partnerships.record_progress(session, commitment=commitment, by=people["am"], on=day_50 + timedelta(days=1),
                                 value=Decimal("1000.00"), note="")
    assert partnerships.derived_rag(commitment, day_50) is expected_rag
    assert partnerships.derived_rag(commitment, day_50 + timedelta(days=1)) is Rag.GREEN


def test_nothing_expected_on_the_start_date_and_the_whole_target_after_the_target_date(session, make, people):
    partnership = new_partnership(session, make, people, signed_on=date(2025, 1, 1))
    commitment = commit_to(session, partnership, people["am"])
    assert partnerships.expected(commitment, date(2025, 1, 1)) == 0
    assert partnerships.derived_rag(commitment, date(2025, 1, 1)) is Rag.GREEN
    assert partnerships.expected(commitment, date(2026, 1, 1)) == Decimal("1000.00")
    partnerships.record_progress(session, commitment=commitment, by=people["am"], on=date(2025, 4, 11),
                                 value=Decimal("899.99"), note="")
    assert partnerships.derived_rag(commitment, date(2026, 1, 1)) is Rag.AMBER  # 899.99 < 90% of 1000


def test_the_rag_override_needs_a_reason_and_shows_beside_the_derived_one(session, make, people, client):
    partnership = new_partnership(session, make, people, signed_on=date(2025, 1, 1))
    commitment = commit_to(session, partnership, people["am"])
    assert partnerships.rag(commitment) is Rag.RED  # nothing achieved, the whole target due
    with pytest.raises(DomainError, match="Enter why"):
        partnerships.override_rag(session, commitment=commitment, by=people["am"], rag=Rag.AMBER, reason="")
    partnerships.override_rag(session, commitment=commitment, by=people["am"], rag=Rag.AMBER,
                              reason="Contract signed, money arrives next month")
    session.commit()
    assert partnerships.rag(commitment) is Rag.AMBER and partnerships.derived_rag(commitment) is Rag.RED
    client.sign_in(people["am"].email)
    page = client.get(f"/partnerships/{partnership.id}")
    assert "Overridden (derived: red)" in page.text
    assert client.submit(f"/partnerships/{partnership.id}/commitments/{commitment.id}/rag",
                         {"rag": "derived", "reason": ""},
                         form_url=f"/partnerships/{partnership.id}/commitments/{commitment.id}").status == 302
    session.refresh(commitment)
    assert commitment.rag_override is None and partnerships.rag(commitment) is Rag.RED


# --- financial years ----------------------------------------------------------------------------------

def test_partnerships_count_in_the_financial_year_they_were_signed(session, make, people):
    assert financial_year_of(date(2026, 3, 31)) == "2025/26"
    assert financial_year_of(date(2026, 4, 1)) == "2026/27"
    march = new_partnership(session, make, people, signed_on=date(2026, 3, 31), title="March")
    april = new_partnership(session, make, people, signed_on=date(2026, 4, 1), title="April")
    new_partnership(session, make, people, title="Still negotiating")
    commit_to(session, march, people["am"], target=Decimal("5000000.00"), start=date(2026, 3, 31))
    lines = {line.financial_year: line for line in partnerships.by_year(session)}
    assert list(lines) == ["2025/26", "2026/27", "2027/28", "2028/29"]
    assert (lines["2025/26"].partnerships, lines["2026/27"].partnerships) == (1, 1)
    assert lines["2025/26"].investment_committed == Decimal("5000000.00") and lines["2026/27"].target_met
    assert not lines["2027/28"].target_met
    assert partnerships.action_22(session, "2025/26").new_partnerships == 1
    assert partnerships.action_22(session, "2026/27").new_partnerships == 1
    assert partnerships.action_22(session, "2026/27").partnerships_to_date == 2
    assert april.signed_on == date(2026, 4, 1)


# --- pages, evidence and the report --------------------------------------------------------------------

def test_progress_with_evidence_and_the_report_pdf(client, session, make, people, run_jobs):
    partnership = new_partnership(session, make, people, signed_on=date(2025, 1, 1))
    commitment = commit_to(session, partnership, people["am"], measure=CommitmentMeasure.PATIENTS,
                           target=Decimal("10000"), days=2000)
    client.sign_in(people["am"].email)
    url = f"/partnerships/{partnership.id}/commitments/{commitment.id}"
    token = client.csrf_token(url)
    done = client.post(f"{url}/progress", {"csrf_token": token, "on": [str(TODAY.day), str(TODAY.month),
                                                                        str(TODAY.year)],
                                           "value": "2,500", "note": "First sites recruiting",
                                           "file": (io.BytesIO(PDF), "recruitment.pdf")},
                       content_type="multipart/form-data")
    assert done.status == 302, done.error_summary()
    page = client.get(url)
    assert "2,500" in page.text and "recruitment.pdf" in page.text
    link = page.html.find("a", string="recruitment.pdf")["href"]
    assert client.get(link).status == 200
    # The report PDF, made by a job, staff only.
    requested = client.submit(f"/partnerships/{partnership.id}/report", form_url=f"/partnerships/{partnership.id}")
    assert requested.status == 302
    run_jobs()
    document = session.scalars(sa.select(Document)).one()
    session.refresh(document)
    assert document.status is DocumentStatus.READY and (document.record_type, document.record_id) == ("partnership", partnership.id)
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        documents.load_content(session, document))).pages).split())
    for expected in (partnership.reference, "Cancer therapies partnership", "DSIT, DHSC", "10,000",
                     "2,500", "First sites recruiting"):
        assert expected in text, expected
    for outsider in (people["company"], people["assessor"]):
        client.sign_out()
        client.sign_in(outsider.email)
        assert client.get(f"/documents/{document.id}").status == 404
        assert client.get(f"/documents/{document.id}/download").status == 404


# --- access -------------------------------------------------------------------------------------------

@pytest.fixture
def records(session, make, people):
    partnership = new_partnership(session, make, people, signed_on=date(2025, 1, 1),
                                  organisation=people["company"].organisation)
    commitment = commit_to(session, partnership, people["am"])
    update = partnerships.record_progress(
        session, commitment=commitment, by=people["am"], on=TODAY, value=Decimal("10.00"), note="Secret progress",
        file_storage=FileStorage(io.BytesIO(PDF), filename="secret.pdf"))
    session.commit()
    upload = partnerships.evidence(session, partnership)[update.id][0]
    return {"partnership": partnership,
            "ids": {"partnership_id": partnership.id, "commitment_id": commitment.id, "upload_id": upload.id}}


def urls(app, ids, prefix):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(prefix):
            path = rule.build({name: ids[name] for name in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, path


def test_company_users_get_404_from_every_partnership_url_even_their_own(app, client, session, people, records):
    client.sign_in(people["company"].email)
    token = client.csrf_token("/home")
    events = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    checked = []
    for endpoint, method, path in urls(app, records["ids"], "partnerships."):
        assert Role.APPLICANT not in declared_roles(endpoint)
        page = client.get(path) if method == "GET" else client.post(path, {"csrf_token": token, "status": "active"})
        assert page.status == 404, (method, path)
        assert "Cancer therapies" not in page.text and "Secret progress" not in page.text
        checked.append(path)
    assert len(checked) >= 9
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events
    home = client.get("/home")
    assert "Partnerships" not in home.text and "Cancer therapies" not in home.text


def test_staff_roles(client, session, people, records):
    pid = records["partnership"].id
    for role in ("am", "fm", "finance", "admin"):
        client.sign_in(people[role].email)
        assert client.get("/partnerships/").status == 200
        page = client.get(f"/partnerships/{pid}")
        assert page.status == 200 and "Cancer therapies partnership" in page.text
        assert client.get("/partnerships/new").status == (200 if role == "am" else 403)
        client.sign_out()
    client.sign_in(people["assessor"].email)
    assert client.get(f"/partnerships/{pid}").status == 403
    assert client.get("/partnerships/999999").status == 403
    client.sign_out()
    client.sign_in(people["am"].email)
    assert client.get("/partnerships/999999").status == 404
    assert client.get(f"/partnerships/{pid}/commitments/999999").status == 404


def test_a_commitment_is_met_withdrawn_with_its_reason_or_reopened(client, session, make, people):
    """Commitments have a status of their own, moved by the workflow table: met, withdrawn (the
    reason required and shown), reopened; only the account managers who work partnerships move it."""
    partnership = new_partnership(session, make, people, signed_on=date(2025, 1, 1))
    commitment = commit_to(session, partnership, people["am"])
    url = f"/partnerships/{partnership.id}/commitments/{commitment.id}"
    client.sign_in(people["fm"].email)
    assert "Change the commitment" not in client.get(url).text
    assert client.post(f"{url}/status", {"status": "met"}).status in (400, 403)
    client.sign_out()
    client.sign_in(people["am"].email)
    refused = client.submit(f"{url}/status", {"status": "withdrawn", "status_reason": " "}, form_url=url)
    assert refused.status == 400 and "Enter why the commitment was withdrawn" in refused.error_summary()
    assert refused.field_error("status_reason") == "Enter why the commitment was withdrawn"
    assert len(refused.html.select("#reason")) <= 1  # beside the RAG form's reason: ids stay unique
    done = client.submit(f"{url}/status", {"status": "withdrawn", "status_reason": "The trial site closed"}, form_url=url)
    assert done.status == 302
    page = client.get(url)
    assert "Withdrawn: The trial site closed" in page.text
    assert client.submit(f"{url}/status", {"status": "open"}, form_url=url).status == 302
    assert client.submit(f"{url}/status", {"status": "met"}, form_url=url).status == 302
    session.expire_all()
    assert commitment.status is CommitmentStatus.MET and commitment.status_reason is None
    actions = session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "partnership_commitments")
                              .order_by(AuditEvent.id)).all()
    assert actions == ["partnership.commitment_added", "partnership.commitment_withdrawn",
                       "partnership.commitment_reopened", "partnership.commitment_met"]
