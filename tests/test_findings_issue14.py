"""Issue 14's findings outside sign-in, each closed by a test: out-of-range numbers, what assessors
see of organisations, a deactivated person's API tokens, the demo seed in production, and drafts
that stay the company's until it submits them."""

import io

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from portfolio.extensions import db
from portfolio.models import ApplicationStatus, LipSector, Role, User
from portfolio.services import accounts, api_tokens, applications, lip
from tests.test_uploads import pdf_bytes
from portfolio.models import EoiStatus, ExpressionOfInterest
from portfolio.services import workflow

HUGE = "99999999999999999999999"


def test_out_of_range_numbers_in_a_query_string_are_400_not_500(client, people):
    """Found: /applications/?page=99999999999999999999999 and ?round= with the same number answered
    500 (integer overflow on SQLite, "integer out of range" on PostgreSQL)."""
    client.sign_in(people["fm"].email)
    for url in (f"/applications/?page={HUGE}", f"/applications/?round={HUGE}", "/applications/?page=0",
                "/applications/?round=-3", f"/applications/?page={2**31}"):
        page = client.get(url)
        assert page.status == 400, url
        assert "must be a whole number from 1 to 2,147,483,647" in page.text, url
    assert client.get(f"/applications/?page={2**31 - 1}").status == 200  # the last page there can be: empty
    for url in (f"/applications/{HUGE}", f"/documents/{HUGE}", f"/cases/{HUGE}"):
        assert client.get(url).status == 404, url
    assert client.get(f"/api/v1/awards?page={HUGE}").status == 401  # the API wants its token first


def test_assessors_see_organisations_only_through_their_assignments(client, session, make, fund, people):
    """Found: assessors listed every organisation with its users and e-mail addresses, including the
    company of a confidential Large Investment Portfolio case."""
    assessor = people["assessor"]
    assigned = make.moderated_application(fund, assessor=assessor)
    other = make.moderated_application(fund)
    confidential = make.organisation(name="Confidential Investor Ltd")
    lip.create_case(session, by=people["am"], organisation_id=confidential.id, new_organisation=None,
                    title="Campus", summary="A campus", sector=LipSector.BIOLOGICS,
                    total_investment=lip.MINIMUM_INVESTMENT + 1, expected_jobs_created=0, expected_jobs_safeguarded=0,
                    expected_rd_spend=0, competing_locations=[], sro_id=people["am"].id, team_ids=[],
                    target_decision_on=None, site_name="Speke", site_postcode="L24 9JW")
    session.commit()
    client.sign_in(assessor.email)
    listed = client.get("/organisations/").text
    assert assigned.organisation.name in listed
    assert other.organisation.name not in listed and "Confidential Investor" not in listed
    assert client.get(f"/organisations/{assigned.organisation_id}").status == 200
    for hidden in (other.organisation_id, confidential.id):
        page = client.get(f"/organisations/{hidden}")
        assert page.status == 404 and "example.com" not in page.text
    client.sign_out()
    client.sign_in(people["fm"].email)  # other staff still see every organisation
    assert "Confidential Investor" in client.get("/organisations/").text


def test_a_deactivated_persons_api_tokens_stop_working(client, session, people):
    """Found: API tokens kept working after their creator was deactivated."""
    finance, admin = people["finance"], people["admin"]
    _, secret = api_tokens.create(session, name="Reconciliation", scopes=["awards:read"], by=finance)
    session.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/awards", headers=bearer).status == 200
    accounts.set_active(session, user=finance, active=False, by=admin)
    session.commit()
    refused = client.get("/api/v1/awards", headers=bearer)
    assert refused.status == 401 and "can no longer use it" in refused.response.get_json()["message"]
    client.sign_in(admin.email)
    assert "Suspended" in client.get("/api-tokens/").text
    client.sign_out()
    accounts.set_active(session, user=finance, active=True, by=admin)
    accounts.change_role(session, user=finance, role=Role.ASSESSOR, by=admin)  # no longer manages tokens
    session.commit()
    assert client.get("/api/v1/awards", headers=bearer).status == 401


def test_seed_demo_refuses_to_run_in_production(make_app):
    """Found: `flask seed-demo` ran in production mode and created accounts whose password is in the README."""
    production = make_app(PORTFOLIO_ENV="production")
    with production.app_context():
        demo_accounts = sa.select(sa.func.count()).select_from(User).where(User.email.like("%@portfolio.example"))
        before = db.session.scalar(demo_accounts)
        result = production.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code != 0 and "refuses to run with PORTFOLIO_ENV=production" in result.output
        assert db.session.scalar(demo_accounts) == before
        embedded = make_app()
    with embedded.app_context():
        assert embedded.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        assert db.session.scalar(demo_accounts) >= 7  # the same command does seed outside production


def test_staff_see_that_a_draft_exists_and_how_complete_it_is_never_its_answers_or_files(client, session, make,
                                                                                         fund, people):
    """Found: fund managers could read draft applications and their uploads before the company
    submitted them."""
    company = people["company"]
    draft = make.moderated_application(fund, organisation=company.organisation, status=ApplicationStatus.DRAFT)
    applications.save_section(session, application=draft, key="net_zero", by=company, revision=None,
                              data={"plan": "Secret net zero plan"})
    upload = applications.attach_document(session, application=draft, by=company, file_storage=FileStorage(
        io.BytesIO(pdf_bytes()), filename="secret-plan.pdf", content_type="application/pdf"))
    session.commit()
    for role in ("fm", "admin"):
        client.sign_in(people[role].email)
        listed = client.get("/applications/?status=draft")
        row = next(row for row in listed.html.select("tbody tr") if draft.project_title in row.get_text())
        assert "of 13 sections complete" in row.get_text() and row.find("a") is None
        for url in (f"/applications/{draft.id}", f"/applications/{draft.id}/history",
                    f"/applications/{draft.id}/documents/{upload.id}"):
            page = client.get(url)
            assert page.status == 404 and "Secret net zero plan" not in page.text, (role, url)
        assert client.submit(f"/applications/{draft.id}/summary-pdf", form_url="/applications/").status == 404
        client.sign_out()
    client.sign_in(company.email)
    assert client.get(f"/applications/{draft.id}").status == 200
    assert client.get(f"/applications/{draft.id}/documents/{upload.id}").status == 200


@pytest.mark.parametrize("url", ["/eois/{id}"])
def test_a_draft_expression_of_interest_is_the_company_s_alone(client, session, make, fund, people, url):
    eoi = ExpressionOfInterest(fund=fund, organisation=people["company"].organisation, created_by=people["company"],
                               project_title="Secret draft")
    workflow.start(session, eoi, EoiStatus.DRAFT, by=people["company"])
    session.commit()
    client.sign_in(people["fm"].email)
    assert client.get(url.format(id=eoi.id)).status == 404
