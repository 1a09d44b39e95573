"""Another organisation's claims, returns, evidence and PDFs: every URL gives 404 (or 403 where
the role may not use the page at all), by GET and by POST, and nothing is changed."""

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from portfolio.access import declared_roles
from portfolio.models import AuditEvent, DocumentKind, Role
from portfolio.services import claims, documents, evidence, monitoring
from tests.builders import PDF, accepted_award
from portfolio.models import Award
from portfolio.models import Claim, Upload

BLUEPRINTS = ("claims.", "awards.", "documents.")


@pytest.fixture
def records(session, make, fund, people):
    """One of everything a company has in delivery, each with its id."""
    today = date.today()
    award = accepted_award(session, make, fund, people, start=date(today.year - 2, 4, 1),
                           completion=date(today.year - 1, 3, 31))
    company = award.organisation.users[0]
    claim = claims.start(session, award=award, by=company, period_start=date(today.year - 2, 4, 1),
                         period_end=date(today.year - 2, 6, 30))
    item = claims.add_item(session, claim=claim, by=company, description="Reactor", invoice_reference="R-1",
                           defrayed_on=date(today.year - 2, 5, 1), amount=Decimal("1000.00"))
    claim_file = evidence.attach(session, claim, by=company,
                                 file_storage=FileStorage(io.BytesIO(PDF), filename="invoice.pdf"))
    monitoring_return = monitoring.returns_of(session, award)[0]
    return_file = evidence.attach(session, monitoring_return, by=company,
                                  file_storage=FileStorage(io.BytesIO(PDF), filename="payroll.pdf"))
    statement = documents.request_document(session, kind=DocumentKind.CLAIM_STATEMENT, record=award, by=company)
    pdf = documents.request_document(session, kind=DocumentKind.MONITORING_RETURN, record=monitoring_return, by=company)
    session.commit()
    return {"award_id": award.id, "claim_id": claim.id, "item_id": item.id, "return_id": monitoring_return.id,
            "upload_id": {"claims.": claim_file.id, "awards.": return_file.id}, "document_id": statement.id,
            "other_document_id": pdf.id}


def urls(app, records):
    """Every rule of the delivery blueprints, with the company's ids filled in."""
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(BLUEPRINTS) or not rule.arguments:
            continue
        prefix = rule.endpoint.split(".")[0] + "."
        values = {name: records["upload_id"][prefix] if name == "upload_id" else records[name]
                  for name in rule.arguments}
        for document_id in ([records["document_id"], records["other_document_id"]] if "document_id" in values
                            else [None]):
            if document_id:
                values["document_id"] = document_id
            path = rule.build(values)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, path


def test_another_organisation_gets_404_from_every_delivery_url(app, client, session, people, records):
    client.sign_in(people["stranger"].email)
    token = client.csrf_token("/home")
    events = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    checked = []
    for endpoint, method, path in urls(app, records):
        page = client.get(path) if method == "GET" else client.post(path, {"csrf_token": token, "reason": "x"})
        expected = 404 if Role.APPLICANT in declared_roles(endpoint) else 403
        assert page.status == expected, (method, path, page.status)
        assert "Reactor" not in page.text and "payroll.pdf" not in page.text
        checked.append((method, path))
    # Claims, returns, evidence, the award page, both PDFs: pages, downloads and every action.
    assert len(checked) >= 25, checked
    assert any("/evidence/" in path for _, path in checked) and any("/download" in path for _, path in checked)
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events  # nothing happened


def test_the_company_itself_reaches_its_records(client, session, records, people):
    """The same ids work for the company (so the 404s above are about the organisation, not the ids)."""
    award = session.get(Award, records["award_id"])
    client.sign_in(award.organisation.users[0].email)
    for path in [f"/awards/{records['award_id']}", f"/awards/returns/{records['return_id']}",
                 f"/claims/{records['claim_id']}", f"/documents/{records['document_id']}",
                 f"/claims/{records['claim_id']}/evidence/{records['upload_id']['claims.']}",
                 f"/awards/returns/{records['return_id']}/evidence/{records['upload_id']['awards.']}"]:
        assert client.get(path).status == 200, path
    download = client.get(f"/claims/{records['claim_id']}/evidence/{records['upload_id']['claims.']}")
    assert download.response.data == PDF


def test_evidence_is_checked_kept_while_open_and_refused_once_submitted(client, session, records):
    claim = session.get(Claim, records["claim_id"])
    client.sign_in(claim.award.organisation.users[0].email)
    url = f"/claims/{claim.id}"
    bad = client.submit(f"{url}/evidence", {"file": (io.BytesIO(b"just text"), "notes.txt")}, form_url=url)
    assert bad.status == 400 and "The selected file must be a PDF" in " ".join(bad.error_summary())
    added = client.submit(f"{url}/evidence", {"file": (io.BytesIO(PDF), "bank-statement.pdf")}, form_url=url,
                          follow=True)
    assert "Uploaded bank-statement.pdf" in added.text
    assert [a.text for a in added.html.select("#evidence-files dt a")] == ["invoice.pdf", "bank-statement.pdf"]
    first = records["upload_id"]["claims."]
    removed = client.submit(f"{url}/evidence/{first}/remove", form_url=url, follow=True)
    assert [a.text for a in removed.html.select("#evidence-files dt a")] == ["bank-statement.pdf"]
    assert client.get(f"{url}/evidence/{first}").status == 404  # removed: hidden from everyone

    assert client.submit(f"{url}/submit", form_url=url).status == 302
    refused = client.submit(f"{url}/evidence", {"file": (io.BytesIO(PDF), "late.pdf")}, form_url=url)
    assert refused.status == 400
    assert "This claim has been submitted: its evidence can no longer be changed" in refused.error_summary()
    assert session.scalar(sa.select(sa.func.count()).select_from(Upload).where(
        Upload.original_filename == "late.pdf")) == 0
