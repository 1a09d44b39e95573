"""Full applications: task list, sections, itemised costs, the submission rules, versions,
optimistic locking, the fund manager's list and return, and the summary PDF."""

import io
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from portfolio.dates import financial_years
from portfolio.forms.applications import SECTION_FORMS
from portfolio.models import (
    Application,
    ApplicationStatus,
    ApplicationVersion,
    CostItem,
    EoiStatus,
    ExpressionOfInterest,
    Fund,
    Role,
    Round,
)
from portfolio.models.base import utcnow
from portfolio.services import applications, eois, funds
from tests.helpers import sent_emails
from portfolio.models import ApplicantType, ProductType
from tests.helpers import PageClient
from tests.builders import Builders
from portfolio.extensions import db
from portfolio.models import Upload

SECTION_ANSWERS = {
    "organisation": {"company_size": "medium", "contact_name": "Priya Shah", "contact_email": "priya@example.com",
                     "contact_phone": "0113 496 0000"},
    "project": {"project_summary": "A new fill-finish line.", "site_address": "1 Science Park, Leeds",
                "site_postcode": "LS2 9JT", "cluster": "yorkshire_humber"},
    "products": {"product_type": "drug_product", "modality": "Monoclonal antibodies",
                 "products_description": "Biosimilar antibodies for the NHS."},
    "funding": {"grant_requested": "4,000,000", "private_investment": "16,000,000",
                "public_funding_year_1": "0", "public_funding_year_2": "250,000", "public_funding_year_3": "",
                "justification": ""},
    "jobs": {"jobs_year_1": "10", "jobs_year_2": "20.5", "jobs_year_3": "30", "jobs_year_4": "35",
             "jobs_year_5": "39", "jobs_safeguarded": "37", "threat_evidence": "The old line closes in 2027.",
             "average_salary": "42,500"},
    "spillovers": {"rd_spend": "2,000,000", "university_collaborations": "2", "nhs_collaborations": "1",
                   "collaboration_details": "University of Leeds.", "training_places": "12",
                   "uk_supply_chain_spend": "5,000,000"},
    "health_resilience": {"answer": "Secures UK supply of two biosimilars."},
    "net_zero": {"answer": "Heat pumps and solar."},
    "delivery": {"milestones": "June 2027 – building complete", "risks": "Equipment delays: two suppliers."},
    "declarations": {"accurate": "y", "subsidy": "y", "minimum_necessary": "y", "data_sharing": "y"},
}
COSTS = [
    {"category": "land_buildings", "description": "Cleanroom building", "amount": "12,000,000",
     "is_capital": "yes", "is_eligible": "yes"},
    {"category": "equipment", "description": "Filling line", "amount": "6,000,000.50", "is_capital": "yes",
     "is_eligible": "yes"},
    {"category": "staff", "description": "Validation staff", "amount": "2,000,000", "is_capital": "no",
     "is_eligible": "no"},
]


@pytest.fixture
def applicant(make, session, fund):
    user = make.user(Role.APPLICANT)
    session.commit()
    return user


@pytest.fixture
def fund_manager(make, session):
    user = make.user(Role.FUND_MANAGER)
    session.commit()
    return user


def invited_application(session, fund, applicant, fund_manager, **eoi_values) -> Application:
    eoi = ExpressionOfInterest(
        fund=fund, organisation=applicant.organisation, created_by=applicant, status=EoiStatus.SUBMITTED,
        project_title="Sterile fill-finish line", project_summary="Fill-finish.", site_postcode="LS2 9JT",
        applicant_type=ApplicantType.CDMO, wholly_private=True, product_type=ProductType.DRUG_PRODUCT,
        excluded_products=[], previous_recipient=False, total_project_cost=Decimal("20000000.00"),
        grant_sought=Decimal("4000000.00"), eligibility_failures=[], **eoi_values)
    session.add(eoi)
    session.flush()
    eois.invite(session, eoi=eoi, by=fund_manager, round_=fund.rounds[0], notes="Eligible.")
    session.commit()
    return session.scalar(sa.select(Application).where(Application.eoi_id == eoi.id))


def save(client, url: str, answers: dict):
    """Submit a section as a browser would: with the revision the page was loaded at."""
    form = client.get(url).html
    revision = form.find("input", attrs={"name": "revision"})["value"]
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    return client.post(url, {"csrf_token": token, "revision": revision, **answers})


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def upload(client, application_id: int, content: bytes = PDF, filename: str = "business-plan.pdf"):
    url = f"/applications/{application_id}/documents"
    return client.post(url, {"csrf_token": client.csrf_token(url), "file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


PROJECT_DATES = {"project_start": ["1", "5", "2027"], "project_completion": ["31", "3", "2029"]}
# Eight quarters, 2027/28 Q1 to 2028/29 Q4: the £4,000,000 requested, to the penny.
PROFILE = {f"quarter_{year}_{month:02d}": "500,000" for year, month in (
    (2027, 4), (2027, 7), (2027, 10), (2028, 1), (2028, 4), (2028, 7), (2028, 10), (2029, 1))}


def fill_in_profile(client, application_id: int, amounts: dict | None = None, dates: dict | None = None):
    """The grant profile's two pages: the project dates, then the grant by quarter."""
    base = f"/applications/{application_id}"
    page = save(client, f"{base}/profile", dates or PROJECT_DATES)
    assert page.status == 302, page.error_summary()
    return save(client, f"{base}/profile/quarters", PROFILE if amounts is None else amounts)


def fill_in(client, application_id: int, *, skip=(), changes=None) -> None:
    base = f"/applications/{application_id}"
    if "documents" not in skip:
        assert upload(client, application_id).status == 302
    for item in COSTS:
        assert client.submit(base + "/costs", item).status == 302
    for key, answers in SECTION_ANSWERS.items():
        if key in skip:
            continue
        page = save(client, f"{base}/sections/{key}", {**answers, **(changes or {}).get(key, {})})
        assert page.status == 302, (key, page.error_summary())
    if "profile" not in skip and "funding" not in skip:
        grant = (changes or {}).get("funding", {}).get("grant_requested")
        page = fill_in_profile(client, application_id, None if grant is None else {"quarter_2027_04": grant})
        assert page.status == 302, page.error_summary()


def test_invitation_opens_an_application_on_the_task_list(client, session, fund, applicant, fund_manager):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    home = client.get("/home")
    assert "LSIMF-%05d" % application.id in home.text and "Complete every section and submit" in home.text
    page = client.get(f"/applications/{application.id}")
    assert page.h1 == "Your application"
    assert "You have completed 0 of 13 sections" in page.text
    # Pre-filled from the EOI.
    page = client.get(f"/applications/{application.id}/sections/project")
    assert page.html.find(id="site_postcode")["value"] == "LS2 9JT"


def test_company_completes_every_task_checks_and_submits(app, client, session, fund, applicant, fund_manager,
                                                         run_jobs):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    fill_in(client, application.id)
    page = client.get(f"/applications/{application.id}")
    assert "You have completed 13 of 13 sections" in page.text
    check = client.get(f"/applications/{application.id}/check")
    assert check.html.find(id="submission-problems") is None
    assert check.html.find(id="total-project-cost").get_text(strip=True) == "£20,000,000.50"
    assert "Intervention rate (grant as a share of the total project cost): 20.00%" in check.text
    page = client.submit(f"/applications/{application.id}/submit", form_url=f"/applications/{application.id}/check")
    assert page.status == 200 and "Application submitted" in page.text
    session.expire_all()
    application = session.get(Application, application.id)
    assert application.status is ApplicationStatus.SUBMITTED
    assert application.total_project_cost == Decimal("20000000.50")
    assert application.eligible_capital_cost == Decimal("18000000.50")
    assert application.region.value == "TLE" and application.cluster.value == "yorkshire_humber"
    [version] = application.versions
    assert version.number == 1 and version.snapshot["grant_requested"] == "4000000.00"
    assert len(version.snapshot["cost_items"]) == 3
    # Frozen: sections and costs can no longer change.
    page = client.submit(f"/applications/{application.id}/costs", COSTS[0], form_url="/home")
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(CostItem)) == 3
    run_jobs()
    assert any(m["Subject"] == "We have received your LSIMF application" for m in sent_emails(app))


@pytest.mark.parametrize(("changes", "costs_extra", "problem"), [
    ({"funding": {"grant_requested": "999,999.99"}}, [], "The grant requested must be at least £1,000,000.00"),
    ({"funding": {"grant_requested": "4,000,000.51"}}, [],
     "explain why you need this much in the Funding section"),
    ({"funding": {"grant_requested": "4,000,000.51", "justification": "Needed to compete with Ireland."}}, [],
     None),
    ({"funding": {"grant_requested": "6,000,000.16"}}, [],
     "must be no more than 30% of the total project cost"),
    ({"funding": {"grant_requested": "18,000,000.51"}}, [], "must not be more than the eligible capital costs"),
], ids=["below-min-grant", "over-justification-threshold", "justified", "over-hard-cap", "over-eligible-capital"])
def test_submission_rules(client, session, fund, applicant, fund_manager, changes, costs_extra, problem):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    fill_in(client, application.id, changes=changes)
    check = client.get(f"/applications/{application.id}/check")
    problems = [li.get_text(" ", strip=True) for li in check.html.select("#submission-problems li")]
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems
        page = client.submit(f"/applications/{application.id}/submit", form_url=f"/applications/{application.id}/check")
        assert page.status == 302
        session.expire_all()
        assert session.get(Application, application.id).status is ApplicationStatus.DRAFT


def test_minimum_project_cost_boundary(client, session, fund, applicant, fund_manager):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    base = f"/applications/{application.id}"
    client.submit(base + "/costs", {"category": "equipment", "description": "Line", "amount": "7,999,999.99",
                                    "is_capital": "yes", "is_eligible": "yes"})
    problems = client.get(base + "/check").text
    assert "The total project cost must be at least £8,000,000.00" in problems
    client.submit(base + "/costs", {"category": "other", "description": "Penny", "amount": "0.01",
                                    "is_capital": "no", "is_eligible": "no"})
    assert "The total project cost must be at least" not in client.get(base + "/check").text


def test_incomplete_sections_and_a_passed_deadline_refuse_submission(client, session, fund, applicant,
                                                                     fund_manager):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    fill_in(client, application.id, skip=("net_zero",))
    check = client.get(f"/applications/{application.id}/check")
    assert "Complete the section: Net zero" in check.text
    fill_in_one = SECTION_ANSWERS["net_zero"]
    save(client, f"/applications/{application.id}/sections/net_zero", fill_in_one)
    round_ = session.get(Round, application.round_id)
    round_.deadline = utcnow() - timedelta(seconds=1)
    session.commit()
    check = client.get(f"/applications/{application.id}/check")
    assert "The deadline for Round 1 has passed" in check.text
    client.submit(f"/applications/{application.id}/submit", form_url=f"/applications/{application.id}/check")
    session.expire_all()
    assert session.get(Application, application.id).status is ApplicationStatus.DRAFT


def test_fund_manager_sees_filters_and_returns_for_changes(app, client, session, fund, applicant, fund_manager,
                                                           run_jobs):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    fill_in(client, application.id)
    client.submit(f"/applications/{application.id}/submit", form_url=f"/applications/{application.id}/check")
    client.sign_out()

    client.sign_in(fund_manager.email)
    listing = client.get("/applications/?status=submitted&region=TLE&cluster=yorkshire_humber")
    assert "Sterile fill-finish line" in listing.text and "1 application" in listing.text
    assert "0 applications" in client.get("/applications/?region=TLM").text
    page = client.submit(f"/applications/{application.id}/return",
                         {"reason": "Split the equipment costs by line."})
    assert page.status == 302
    session.expire_all()
    application = session.get(Application, application.id)
    assert application.status is ApplicationStatus.DRAFT and application.version_number == 2
    assert application.versions[0].return_reason == "Split the equipment costs by line."
    client.sign_out()

    client.sign_in(applicant.email)
    assert "Split the equipment costs by line" in client.get(f"/applications/{application.id}").text
    assert save(client, f"/applications/{application.id}/sections/net_zero",
                {"answer": "Heat pumps, solar and EVs."}).status == 302
    client.submit(f"/applications/{application.id}/submit", form_url=f"/applications/{application.id}/check")
    history = client.get(f"/applications/{application.id}/history")
    rows = [[c.get_text(" ", strip=True) for c in tr.find_all("td")] for tr in history.html.select("#versions tbody tr")]
    assert [r[0] for r in rows] == ["1", "2"]
    assert "Split the equipment costs" in rows[0][2] and rows[1][2] == "No"
    assert "Heat pumps, solar and EVs." in history.text and applicant.email in history.text
    session.expire_all()
    versions = session.scalars(sa.select(ApplicationVersion).order_by(ApplicationVersion.number)).all()
    assert versions[0].snapshot["sections"]["net_zero"]["answer"] == "Heat pumps and solar."
    assert versions[1].snapshot["sections"]["net_zero"]["answer"] == "Heat pumps, solar and EVs."
    run_jobs()
    assert any("returned for changes" in m["Subject"] for m in sent_emails(app))


def test_a_stale_save_never_overwrites_a_colleagues_change(app, client, session, fund, applicant, fund_manager):
    application = invited_application(session, fund, applicant, fund_manager)
    colleague = PageClient(app)
    other_user = Builders(session).user(Role.APPLICANT, organisation=applicant.organisation, is_signatory=False)
    session.commit()
    client.sign_in(applicant.email)
    colleague.sign_in(other_user.email)
    url = f"/applications/{application.id}/sections/health_resilience"
    assert save(client, url, {"answer": "First version."}).status == 302

    # Both open the page at the same revision.
    mine = client.get(url).html.find("input", attrs={"name": "revision"})["value"]
    theirs = colleague.get(url).html.find("input", attrs={"name": "revision"})["value"]
    assert mine == theirs
    token = client.csrf_token(url)
    assert colleague.submit(url, {"answer": "Colleague's answer.", "revision": theirs}).status == 302
    page = client.post(url, {"csrf_token": token, "answer": "My answer.", "revision": mine})
    assert page.status == 409
    assert "Colleague's answer." in page.html.find(id="conflict-changes").get_text()
    assert page.html.find(id="answer").get_text() == "My answer."  # my input is kept
    session.expire_all()
    assert applications.answers(session.get(Application, application.id), "health_resilience") == {
        "answer": "Colleague's answer."}
    # Saving again (now based on the colleague's revision) keeps mine, knowingly.
    new_revision = page.html.find("input", attrs={"name": "revision"})["value"]
    assert client.post(url, {"csrf_token": token, "answer": "My answer.", "revision": new_revision}).status == 302
    session.expire_all()
    assert applications.answers(session.get(Application, application.id), "health_resilience") == {
        "answer": "My answer."}


def test_other_organisations_applications_are_404(client, session, fund, applicant, fund_manager, make):
    application = invited_application(session, fund, applicant, fund_manager)
    other = make.user(Role.APPLICANT)
    assessor = make.user(Role.ASSESSOR)
    session.commit()
    base = f"/applications/{application.id}"
    for user in (other, assessor):
        client.sign_in(user.email)
        for url in (base, base + "/sections/project", base + "/costs", base + "/check", base + "/history"):
            page = client.get(url)
            assert page.status in (403, 404), url
            assert "Sterile fill-finish" not in page.text
        token = client.csrf_token("/home")
        for url in (base + "/submit", base + "/summary-pdf", base + "/costs"):
            assert client.post(url, {"csrf_token": token}).status in (403, 404)
        client.sign_out()


def test_summary_pdf_for_company_and_staff(client, session, fund, applicant, fund_manager, run_jobs):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    fill_in(client, application.id)
    client.submit(f"/applications/{application.id}/submit", form_url=f"/applications/{application.id}/check")
    page = client.submit(f"/applications/{application.id}/summary-pdf", form_url=f"/applications/{application.id}")
    document_url = page.location
    run_jobs()
    download = client.get(document_url + "/download").response
    assert download.data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(download.data)).pages)
    assert "Sterile fill-finish line" in text and "£20,000,000.50" in text and "Cleanroom building" in text
    # The grant profile, by financial year and quarter with the year totals and the total.
    assert "1 May 2027 to 31 March 2029" in text
    assert "2027/28 £500,000.00 £500,000.00 £500,000.00 £500,000.00 £2,000,000.00" in text
    assert "Total £4,000,000.00" in text
    client.sign_out()
    client.sign_in(fund_manager.email)
    assert client.get(document_url + "/download").response.data.startswith(b"%PDF")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("amount", "", "Enter the amount"),
    ("amount", "-1", "The amount must be more than £0"),
    ("amount", "twelve", "Enter the amount as a number, like 8,000,000"),
    ("amount", "9" * 16, "The amount must be £999,999,999,999.99 or less"),
    ("description", "x" * 501, "Description must be 500 characters or fewer"),
    ("category", "yachts", "Select the category"),
    ("is_capital", "maybe", "Select yes if this is a capital cost"),
])
def test_bad_cost_items_are_refused(client, session, fund, applicant, fund_manager, field, value, message):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    page = client.submit(f"/applications/{application.id}/costs", {**COSTS[0], field: value})
    assert page.status == 400 and page.field_error(field) == message
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(CostItem)) == 0


@pytest.mark.parametrize(("key", "field", "value", "message"), [
    ("jobs", "jobs_year_1", "-3", "The new jobs in year 1 must be 0 or more"),
    ("jobs", "jobs_year_2", "ten", "Enter the new jobs in year 2 as a number, like 12"),
    ("jobs", "jobs_year_3", "1.55", "Enter the new jobs in year 3 as a number with up to 1 decimal places"),
    ("jobs", "threat_evidence", "", "Enter the evidence that the safeguarded jobs are at risk"),
    ("spillovers", "training_places", "2.5", "Enter the training places as a whole number"),
    ("project", "site_postcode", "JE2 3AA", "Enter a postcode in the UK"),
    ("project", "cluster", "atlantis", "Select the cluster the site is in"),
    ("organisation", "contact_email", "not-an-email", "Enter an email address in the correct format, like name@example.com"),
    ("funding", "grant_requested", "4,000,000.001", "The grant requested must be in pounds and pence, like 1,250.50"),
    ("declarations", "accurate", "", "Confirm each declaration to continue"),
    ("health_resilience", "answer", "x" * 5001, "How will the project strengthen UK health resilience? must be 5,000 characters or fewer"),
])
def test_bad_section_answers_are_refused(client, session, fund, applicant, fund_manager, key, field, value, message):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    page = save(client, f"/applications/{application.id}/sections/{key}", {**SECTION_ANSWERS[key], field: value})
    assert page.status == 400
    assert page.field_error(field) == message
    session.expire_all()
    assert applications.answers(session.get(Application, application.id), key) == {}


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.tuples(amounts, st.booleans(), st.booleans()), min_size=1, max_size=12), grant=amounts)
def test_totals_and_rate_are_exact_to_the_penny(items, grant):
    costs = [CostItem(category="other", description="x", amount=a, is_capital=c, is_eligible=e) for a, c, e in items]
    result = applications.totals(costs)
    reference_total = Decimal("0")
    for amount, _, _ in items:
        reference_total += amount
    assert result.total == reference_total
    assert result.eligible_capital == sum((a for a, c, e in items if c and e), Decimal("0"))
    assert result.capital == sum((a for a, c, _ in items if c), Decimal("0"))
    expected_rate = (grant * 100 / reference_total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert applications.intervention_rate(grant, result.total) == expected_rate


def test_supporting_documents_are_checked_by_content_and_private(client, session, fund, applicant, fund_manager,
                                                                 make):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    page = upload(client, application.id, b"MZ\x90\x00 not really a pdf", "plan.pdf")
    assert page.status == 400
    assert page.field_error("file") == "The selected file must be a PDF, XLSX, DOCX, PNG or JPEG"
    assert upload(client, application.id).status == 302
    page = client.get(f"/applications/{application.id}/documents")
    link = page.html.select_one("#uploaded-files a")["href"]
    assert link and "business-plan.pdf" in page.text
    assert client.get(link).response.data == PDF
    client.sign_out()
    other = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(other.email)
    assert client.get(link).status == 404
    client.sign_out()
    client.sign_in(fund_manager.email)  # a draft's files are the company's alone until it is submitted
    assert client.get(link).status == 404


def test_concurrent_saves_of_one_section_never_lose_an_update(app, session, fund, applicant, fund_manager, make):
    """Two people press Save at the same moment from the same page: one wins, the other is
    told (StaleSection) and nothing is silently overwritten. Runs on SQLite and PostgreSQL."""
    import threading

    application = invited_application(session, fund, applicant, fund_manager)
    colleague = make.user(Role.APPLICANT, organisation=applicant.organisation, is_signatory=False)
    session.commit()
    applications.save_section(session, application=application, key="net_zero", data={"answer": "v1"},
                              revision=None, by=applicant)
    session.commit()
    revision = session.get(Application, application.id).section("net_zero").revision
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(user_id: int, answer: str) -> None:
        with app.app_context():
            user = db.session.get(type(applicant), user_id)
            target = db.session.get(Application, application.id)
            target.section("net_zero")  # load at the shared revision before racing
            barrier.wait()
            try:
                applications.save_section(db.session, application=target, key="net_zero", data={"answer": answer},
                                          revision=revision, by=user)
                db.session.commit()
                outcomes[answer] = "saved"
            except applications.StaleSection:
                db.session.rollback()
                outcomes[answer] = "stale"
            except Exception as error:  # noqa: BLE001  (report, so the assertion shows it)
                db.session.rollback()
                outcomes[answer] = f"error: {type(error).__name__}: {error}"

    threads = [threading.Thread(target=save, args=(applicant.id, "mine")),
               threading.Thread(target=save, args=(colleague.id, "theirs"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["saved", "stale"], outcomes
    winner = next(answer for answer, outcome in outcomes.items() if outcome == "saved")
    session.expire_all()
    saved = session.get(Application, application.id).section("net_zero")
    assert saved.data == {"answer": winner} and saved.revision == revision + 1


@pytest.mark.parametrize("key", [s.key for s in applications.SECTIONS if s.answered])
def test_every_required_field_of_every_section_says_what_is_missing(client, session, fund, applicant, fund_manager,
                                                                    key):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    form_class = SECTION_FORMS[key]
    blank = {name: "" for name in SECTION_ANSWERS[key]}
    page = save(client, f"/applications/{application.id}/sections/{key}", blank)
    assert page.status == 400 and page.title.startswith("Error:")
    with client.app.test_request_context():
        required = [name for name, field in form_class()._fields.items()
                    if any(type(v).__name__ == "Required" for v in field.validators)]
    assert required, key
    for name in required:
        message = page.field_error(name)
        assert message, f"{key}.{name} shows no message"
        assert message in page.error_summary()
    session.expire_all()
    assert applications.answers(session.get(Application, application.id), key) == {}


def test_changing_the_rules_never_alters_a_submitted_application(client, session, fund, applicant, fund_manager,
                                                                 make):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    fill_in(client, application.id)
    client.submit(f"/applications/{application.id}/submit", form_url=f"/applications/{application.id}/check")
    session.expire_all()
    rules_then = session.get(Application, application.id).rules_id
    funds.update_rules(session, fund=session.get(Fund, fund.id), by=make.user(Role.ADMIN),
                       min_project_cost=Decimal("50000000.00"))
    session.commit()
    session.expire_all()
    submitted = session.get(Application, application.id)
    assert submitted.rules_id == rules_then and submitted.rules.min_project_cost == Decimal("8000000.00")
    assert submitted.status is ApplicationStatus.SUBMITTED
    assert submitted.versions[0].snapshot["total_project_cost"] == "20000000.50"


def test_oversized_and_empty_documents_are_refused_on_the_page(app, client, session, fund, applicant, fund_manager):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    # A small limit keeps the request body small (a 10MB body would be spooled to a temporary file
    # by the test client); the limit itself is a setting.
    app.config["UPLOAD_MAX_BYTES"] = 2048
    page = upload(client, application.id, PDF + b"0" * (2049 - len(PDF)), "huge.pdf")
    assert page.status == 400 and page.field_error("file").startswith("The selected file must be smaller than")
    assert upload(client, application.id, PDF + b"0" * (2048 - len(PDF)), "just-fits.pdf").status == 302
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 1
    page = upload(client, application.id, b"", "empty.pdf")
    assert page.status == 400 and page.field_error("file") == "The selected file is empty"
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 1


def test_other_public_funding_keeps_the_years_it_was_entered_for(client, session, fund, applicant, fund_manager):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    fill_in(client, application.id)
    years = ", ".join(financial_years(utcnow()))
    session.expire_all()
    assert applications.answers(session.get(Application, application.id), "funding")["financial_years"] == years
    check = client.get(f"/applications/{application.id}/check")
    assert f"Financial years (this, last, the year before) {years}" in check.text
    labels = [dt.get_text(strip=True) for dt in check.html.select("#section-funding + dl dt")]
    assert "Other public funding last financial year" in labels and len(labels) == len(set(labels))


def test_financial_years_run_april_to_march():
    from datetime import UTC, datetime

    # 1 April 2026 starts at 23:00 UTC on 31 March (British Summer Time).
    assert financial_years(datetime(2026, 3, 31, 22, 59, tzinfo=UTC)) == ["2025/26", "2024/25", "2023/24"]
    assert financial_years(datetime(2026, 3, 31, 23, 0, tzinfo=UTC)) == ["2026/27", "2025/26", "2024/25"]


def test_the_list_pages_many_applications_with_ellipses_and_a_fixed_number_of_queries(client, session, make, fund,
                                                                                        fund_manager):
    import sqlalchemy as sa

    def statements(url: str) -> tuple[int, object]:
        counted = []

        def count(*args):
            counted.append(1)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = client.get(url)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert page.status == 200
        return len(counted), page

    for _ in range(3):
        make.submitted_application(fund)
    session.commit()
    client.sign_in(fund_manager.email)
    few, _ = statements("/applications/")
    for _ in range(30):  # 33 applications from 33 organisations: two pages of 25
        make.submitted_application(fund)
    session.commit()
    many, page = statements("/applications/")
    assert many == few  # the organisations come with the applications, not one query each
    assert [a.text.strip() for a in page.html.select(".govuk-pagination__item a")] == ["1", "2"]

    for _ in range(100):  # 133: six pages; on page 3 the list shows 1 … 2 3 4 … 6
        make.submitted_application(fund)
    session.commit()
    page = client.get("/applications/?page=3")
    items = [li.text.strip() for li in page.html.select(".govuk-pagination__item")]
    assert items == ["1", "2", "3", "4", "\u22ef", "6"]  # &ctdot;: the 800 pages of 20,000 are not all listed


def test_the_grant_profile_must_add_up_to_the_grant_inside_the_period_and_is_flagged_when_the_grant_changes(
        client, session, fund, applicant, fund_manager):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    fill_in(client, application.id, skip=("profile",))
    base = f"/applications/{application.id}"
    backwards = save(client, f"{base}/profile", {"project_start": ["1", "5", "2027"],
                                                 "project_completion": ["1", "4", "2027"]})
    assert backwards.status == 400 and "The project must complete after it starts" in backwards.error_summary()
    short = fill_in_profile(client, application.id, {**PROFILE, "quarter_2029_01": "499,999.99"})
    assert short.status == 400
    assert short.error_summary() == ["The grant profile adds up to £3,999,999.99, £0.01 less than the grant of "
                                     "£4,000,000.00: it must add up to the grant to the penny"]
    assert short.html.select_one(".govuk-error-summary a")["href"] == "#profile"
    labels = [label.get_text(strip=True) for label in short.html.select("#profile label")]
    assert labels[0] == "Q1 (April to June 2027)" and len(labels) == 8
    assert "Financial year 2027/28" in short.html.select_one("#profile legend").text
    session.expire_all()
    assert application.profile_lines == []
    # Quarters outside the period cannot be typed in: a hand-made request's extra quarter is ignored, and the
    # service refuses a profile outside the period.
    with pytest.raises(applications.DomainError, match="outside the project period"):
        applications.save_profile(session, application=application, by=applicant,
                                  revision=application.section("profile").revision,
                                  profile={date(2029, 4, 1): Decimal("4000000.00")})
    session.rollback()
    assert fill_in_profile(client, application.id).status == 302
    check = client.get(f"{base}/check")
    table = check.html.select_one("#profile-table")
    year = table.select_one("#profile-table-2027-28")
    assert [(row.th.get_text(strip=True), row.td.get_text(strip=True)) for row in year.select("tr")] == [
        ("2027/28 Q1 (April to June 2027)", "£500,000.00"), ("2027/28 Q2 (July to September 2027)", "£500,000.00"),
        ("2027/28 Q3 (October to December 2027)", "£500,000.00"),
        ("2027/28 Q4 (January to March 2028)", "£500,000.00"), ("2027/28 total", "£2,000,000.00")]
    assert table.select_one("#profile-table-2028-29").select("tr")[-1].td.get_text(strip=True) == "£2,000,000.00"
    assert table.select_one("#profile-table-total").get_text(strip=True) == "£4,000,000.00"
    assert check.html.find(id="submission-problems") is None
    # The grant requested changes later: the profile no longer adds up, and the check page says so.
    save(client, f"{base}/sections/funding", {**SECTION_ANSWERS["funding"], "grant_requested": "3,500,000"})
    check = client.get(f"{base}/check")
    problems = check.html.select_one("#submission-problems").text
    assert "Grant profile: The grant profile adds up to £4,000,000.00, £500,000.00 more than the grant" in problems
    assert "This grant profile needs changing" in check.html.select_one("#profile-problems").text
    refused = client.submit(f"{base}/submit", form_url=f"{base}/check", follow=True)
    assert "cannot be submitted yet" in refused.text
    task = next(item for item in client.get(base).html.select(".govuk-task-list__item") if "Grant profile" in item.text)
    assert "Incomplete" in task.text


def test_a_stale_grant_profile_page_overwrites_nothing(client, session, fund, applicant, fund_manager):
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    fill_in(client, application.id)
    url = f"/applications/{application.id}/profile/quarters"
    stale = client.get(url).html
    assert fill_in_profile(client, application.id, {**PROFILE, "quarter_2027_04": "1,000,000",
                                                    "quarter_2029_01": "0"}).status == 302
    page = client.post(url, {"csrf_token": stale.find("input", attrs={"name": "csrf_token"})["value"],
                             "revision": stale.find("input", attrs={"name": "revision"})["value"], **PROFILE})
    assert page.status == 409 and page.html.select_one("#conflict") is not None
    session.expire_all()
    assert applications.profile_of(application)[date(2027, 4, 1)] == Decimal("1000000.00")
