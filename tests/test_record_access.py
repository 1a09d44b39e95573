"""One access rule per record (issue 13): every generated document and every uploaded file is readable
by exactly the people who may open the page of the record it belongs to, and by nobody else (404).

Found on main before: an assessor refused /applications/2 (403) downloaded that company's draft
application summary at /documents/10/download (200), the leverage report PDF, and an award's offer
letter, claim statement and monitoring return PDFs; finance and account managers read draft
application summaries the same way."""

import io
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from portfolio.dates import uk_today
from portfolio.models import (
    ApplicationStatus,
    Document,
    DocumentKind,
    DocumentStatus,
    LipSector,
    MonitoringReturn,
    Role,
    Upload,
)
from portfolio.models.records import Report
from portfolio.services import applications, claims, documents, evidence, lip, offers, partnerships, scaleups
from tests.test_uploads import pdf_bytes

TODAY = uk_today()
ROLES = ["company", "outsider", "assessor", "assigned_assessor", "fund_manager", "account_manager", "finance",
         "admin"]


def _file(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(pdf_bytes()), filename=name, content_type="application/pdf")


@pytest.fixture
def app_config(app_config):
    """Eight people sign in and out one after another from one address: no sign-in limit here."""
    return {**app_config, "RATELIMIT_ENABLED": False}


@pytest.fixture
def world(session, make, fund, run_jobs):
    """One company's records of every kind, each with its PDF and (where it takes files) an upload."""
    people = {"fund_manager": make.user(Role.FUND_MANAGER), "recommender": make.user(Role.FUND_MANAGER),
              "approver": make.user(Role.FUND_MANAGER), "assigned_assessor": make.user(Role.ASSESSOR),
              "assessor": make.user(Role.ASSESSOR), "account_manager": make.user(Role.ACCOUNT_MANAGER),
              "finance": make.user(Role.FINANCE), "admin": make.user(Role.ADMIN),
              "outsider": make.user(Role.APPLICANT)}
    application = make.approved_application(fund, recommender=people["recommender"],
                                            assessor=people["assigned_assessor"], approver=people["approver"])
    company = application.organisation.users[0]
    people["company"] = company
    organisation = application.organisation
    terms = replace(offers.default_terms(application), project_start=date(TODAY.year - 2, 4, 1),
                    project_completion=date(TODAY.year - 1, 3, 31), profile=None)
    offer = offers.issue(session, application=application, by=people["approver"], terms=terms)
    offers.accept(session, offer=offer, by=company)
    award = application.award
    monitoring_return = session.scalars(sa.select(MonitoringReturn).where(MonitoringReturn.award_id == award.id)
                                        .order_by(MonitoringReturn.number)).first()
    claim = claims.start(session, award=award, by=company, period_start=date(TODAY.year - 2, 4, 1),
                         period_end=date(TODAY.year - 2, 6, 30))
    session.commit()
    uploads = {"claim": evidence.attach(session, claim, by=company, file_storage=_file("invoice.pdf")),
               "monitoring_return": evidence.attach(session, monitoring_return, by=company,
                                                    file_storage=_file("site-photo.pdf"))}
    # A second company's application still in draft: its summary and files are the company's alone.
    draft = make.moderated_application(fund, organisation=organisation, status=ApplicationStatus.DRAFT)
    uploads["draft_application"] = applications.attach_document(session, application=draft, by=company,
                                                                file_storage=_file("draft-plan.pdf"))
    case = lip.create_case(
        session, by=people["account_manager"], organisation_id=organisation.id, new_organisation=None,
        title="Campus", summary="A campus", sector=LipSector.BIOLOGICS, total_investment=Decimal("300000000.01"),
        expected_jobs_created=Decimal("10"), expected_jobs_safeguarded=Decimal("0"), expected_rd_spend=Decimal("0"),
        competing_locations=[], sro_id=people["account_manager"].id, team_ids=[], target_decision_on=None,
        site_name="Speke", site_postcode="L24 9JW")
    session.commit()
    uploads["lip_case"] = lip.attach_document(session, case=case, by=people["account_manager"],
                                              file_storage=_file("term-sheet.pdf"))
    partnership = partnerships.create_partnership(
        session, by=people["account_manager"], organisation_id=organisation.id, new_organisation=None,
        title="Partnership", departments=["DSIT"], lead_id=people["account_manager"].id)
    commitment = partnerships.add_commitment(
        session, partnership=partnership, by=people["account_manager"], measure=partnerships.CommitmentMeasure.JOBS,
        description="Jobs", target_value=Decimal("100"), unit="jobs", start_on=TODAY - timedelta(days=10),
        target_on=TODAY + timedelta(days=300))
    update = partnerships.record_progress(session, commitment=commitment, by=people["account_manager"], on=TODAY,
                                          value=Decimal("5"), note="", file_storage=_file("jobs-evidence.pdf"))
    session.commit()
    uploads["partnership"] = session.scalars(sa.select(Upload).where(Upload.owner_id == update.id,
                                                                     Upload.owner_type == "partnership_progress")).one()
    cohort_place = scaleups.join(session, by=people["account_manager"], organisation_id=organisation.id,
                                 account_manager_id=people["account_manager"].id, joined_on=TODAY,
                                 reason="High growth")
    session.commit()

    records = {
        DocumentKind.ORGANISATION_SUMMARY: organisation, DocumentKind.APPLICATION_SUMMARY: draft,
        DocumentKind.GRANT_OFFER_LETTER: offer, DocumentKind.MONITORING_RETURN: monitoring_return,
        DocumentKind.CLAIM_STATEMENT: award, DocumentKind.LIP_CASE_SUMMARY: case,
        DocumentKind.PARTNERSHIP_REPORT: partnership, DocumentKind.SCALEUP_PROFILE: cohort_place,
        DocumentKind.LEVERAGE_REPORT: Report("leverage_report"),
        DocumentKind.IMPLEMENTATION_UPDATE: Report("implementation_update"),
    }
    made = {}
    for kind, record in records.items():
        parameters = {"financial_year": "2025/26"} if kind is DocumentKind.IMPLEMENTATION_UPDATE else \
            {} if kind is DocumentKind.LEVERAGE_REPORT else None
        asker = company if record is draft else people["admin"]  # a draft is the company's alone
        made[kind] = documents.request_document(session, kind=kind, record=record, by=asker,
                                                parameters=parameters).id
    # The assessed application's own summary too (finance and its assessor read it; the other assessor not).
    made["assessed application"] = documents.request_document(
        session, kind=DocumentKind.APPLICATION_SUMMARY, record=application, by=people["admin"]).id
    session.commit()
    run_jobs()
    assert all(session.get(Document, document_id).status is DocumentStatus.READY for document_id in made.values())
    pages = {
        DocumentKind.ORGANISATION_SUMMARY: f"/organisations/{organisation.id}",
        DocumentKind.APPLICATION_SUMMARY: f"/applications/{draft.id}",
        "assessed application": f"/applications/{application.id}",
        DocumentKind.GRANT_OFFER_LETTER: f"/offers/{offer.id}",
        DocumentKind.MONITORING_RETURN: f"/awards/returns/{monitoring_return.id}",
        DocumentKind.CLAIM_STATEMENT: f"/awards/{award.id}",
        DocumentKind.LIP_CASE_SUMMARY: f"/cases/{case.id}",
        DocumentKind.PARTNERSHIP_REPORT: f"/partnerships/{partnership.id}",
        DocumentKind.SCALEUP_PROFILE: f"/scale-ups/{cohort_place.id}",
        DocumentKind.LEVERAGE_REPORT: "/reports/leverage",
        DocumentKind.IMPLEMENTATION_UPDATE: "/reports/implementation-update",
    }
    files = {
        "claim": (f"/claims/{claim.id}", f"/claims/{claim.id}/evidence/{uploads['claim'].id}"),
        "monitoring_return": (f"/awards/returns/{monitoring_return.id}",
                              f"/awards/returns/{monitoring_return.id}/evidence/{uploads['monitoring_return'].id}"),
        "draft_application": (f"/applications/{draft.id}",
                              f"/applications/{draft.id}/documents/{uploads['draft_application'].id}"),
        "lip_case": (f"/cases/{case.id}", f"/cases/{case.id}/documents/{uploads['lip_case'].id}"),
        "partnership": (f"/partnerships/{partnership.id}",
                        f"/partnerships/{partnership.id}/evidence/{uploads['partnership'].id}"),
    }
    return {"people": people, "documents": made, "pages": pages, "files": files, "cohort_place": cohort_place}


def _page_for(world, role: str, key) -> str:
    """The page a user of this role opens for the record: a company's own cohort page is /scale-ups/company."""
    if key is DocumentKind.SCALEUP_PROFILE and role in ("company", "outsider"):
        return "/scale-ups/company"
    return world["pages"][key]


def _mismatches(client, world, role: str) -> list[str]:
    client.sign_in(world["people"][role].email)
    found = []
    for key, document_id in world["documents"].items():
        page = client.get(_page_for(world, role, key)).status
        for url in (f"/documents/{document_id}", f"/documents/{document_id}/download",
                    f"/documents/{document_id}/status.json"):
            status = client.get(url).status
            if (page == 200) != (status == 200) or status not in (200, 404):
                found.append(f"{role}, {key}: page {page}, {url} {status}")
    for key, (page_url, file_url) in world["files"].items():
        page, download = client.get(page_url).status, client.get(file_url).status
        if (page == 200) != (download == 200) or download not in (200, 403, 404):
            found.append(f"{role}, {key} file: page {page}, file {download}")
    client.sign_out()
    return found


def test_documents_and_files_are_readable_exactly_when_their_record_s_page_is(client, world):
    """Every kind of document and uploaded file, against every role and another organisation's user:
    200 where the record's own page is 200, and 404 (never a 403 that says it exists) elsewhere."""
    assert [mismatch for role in ROLES for mismatch in _mismatches(client, world, role)] == []

    # The findings, named: the assessor not assigned to it, finance and account managers get no draft
    # application summary; the assessor no leverage report, offer letter, claim statement or return PDF.
    made = world["documents"]
    for role in ("assessor", "finance", "account_manager"):
        client.sign_in(world["people"][role].email)
        assert client.get(f"/documents/{made[DocumentKind.APPLICATION_SUMMARY]}/download").status == 404, role
        client.sign_out()
    client.sign_in(world["people"]["assessor"].email)
    for kind in (DocumentKind.LEVERAGE_REPORT, DocumentKind.GRANT_OFFER_LETTER, DocumentKind.CLAIM_STATEMENT,
                 DocumentKind.MONITORING_RETURN, "assessed application"):
        assert client.get(f"/documents/{made[kind]}/download").status == 404, kind
    client.sign_out()
    client.sign_in(world["people"]["assigned_assessor"].email)
    assert client.get(f"/documents/{made['assessed application']}/download").status == 200
