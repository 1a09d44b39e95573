"""Expressions of interest: the form, the automatic eligibility check (every rule, both sides
of every threshold), the fund manager's decision, and what the company sees and is sent."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from portfolio.models import (
    ApplicantType,
    AuditEvent,
    EoiStatus,
    ExpressionOfInterest,
    Fund,
    ProductType,
    Role,
)
from portfolio.services import eligibility, funds
from tests.helpers import sent_emails

GOOD = {
    "project_title": "Sterile fill-finish line",
    "project_summary": "A new aseptic fill-finish line for biologics at our Leeds site.",
    "site_postcode": "ls2 9jt",
    "applicant_type": "cdmo",
    "wholly_private": "yes",
    "product_type": "drug_product",
    "previous_recipient": "no",
    "total_project_cost": "£40,000,000",
    "grant_sought": "6,000,000.00",
}


# The `fund` fixture makes the LSIMF alone: these tests add the rounds they need.
pytestmark = pytest.mark.fund_without_rounds


@pytest.fixture
def round_(session, fund, make):
    round_ = make.open_round(fund)
    session.commit()
    return round_


@pytest.fixture
def applicant(make, session, fund):
    user = make.user(Role.APPLICANT)
    make.user(Role.APPLICANT, organisation=user.organisation, is_signatory=False, email="colleague@example.com")
    session.commit()
    return user


def _start(client, answers=None):
    page = client.submit("/eois/new", {**GOOD, **(answers or {})})
    assert page.status == 302, page.error_summary()
    return page.location


def _submit(client, eoi_url):
    return client.submit(eoi_url + "/submit", form_url=eoi_url, follow=True)


def test_company_fills_in_checks_and_submits_an_eligible_eoi(app, client, applicant, session, run_jobs):
    client.sign_in(applicant.email)
    assert "Start an expression of interest" in client.get("/home").text
    eoi_url = _start(client)
    page = client.get(eoi_url)
    assert page.h1 == "Check your answers"
    assert "£40,000,000.00" in page.text and "LS2 9JT" in page.text
    page = _submit(client, eoi_url)
    assert "Your expression of interest has been submitted" in page.text
    assert page.html.find(id="eligibility-passed")
    eoi = session.scalar(sa.select(ExpressionOfInterest))
    assert eoi.status is EoiStatus.SUBMITTED and eoi.eligibility_failures == []
    assert eoi.rules_id == session.scalar(sa.select(Fund)).rules.id
    assert eoi.total_project_cost == Decimal("40000000.00") and eoi.grant_sought == Decimal("6000000.00")
    run_jobs()
    assert sorted(m["To"] for m in sent_emails(app)) == sorted([applicant.email, "colleague@example.com"])
    # Submitted means frozen.
    page = client.get(eoi_url + "/edit")
    assert page.status == 302
    assert client.submit(eoi_url + "/submit", form_url=eoi_url, follow=True).status == 200
    session.expire_all()
    actions = list(session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("eoi.%"))))
    assert actions == ["eoi.created", "eoi.submitted"]


def test_every_failed_rule_is_named(client, applicant, session):
    client.sign_in(applicant.email)
    eoi_url = _start(client, {
        "applicant_type": "cdmo", "wholly_private": "no", "product_type": "medtech",
        "excluded_products": ["veterinary", "herbal_vitamins"], "site_postcode": "JE2 3AA",
        "previous_recipient": "yes", "different_project": "no",
        "total_project_cost": "7,999,999.99", "grant_sought": "999,999.99",
    })
    page = _submit(client, eoi_url)
    failures = [li.get_text(" ", strip=True) for li in page.html.select("#eligibility-failures li")]
    assert failures == [
        "The applicant must be a wholly private-sector business",
        "Veterinary medicines are not eligible for this fund",
        "Herbal supplements or vitamins are not eligible for this fund",
        "The manufacturing site must be in the UK",
        "A previous recipient can only apply again for a different project",
        "The total project cost must be at least £8,000,000 (you entered £7,999,999.99)",
        "The grant must be at least £1,000,000 (you entered £999,999.99)",
    ]


# One case per rule, on both sides of each threshold.
BOUNDARIES = [
    ("min_project_cost", {"total_project_cost": Decimal("7999999.99"), "grant_sought": Decimal("1000000.00")}, True),
    ("min_project_cost", {"total_project_cost": Decimal("8000000.00"), "grant_sought": Decimal("1000000.00")}, False),
    ("min_grant", {"grant_sought": Decimal("999999.99")}, True),
    ("min_grant", {"grant_sought": Decimal("1000000.00")}, False),
    ("hard_cap", {"total_project_cost": Decimal("10000000.00"), "grant_sought": Decimal("3000000.01")}, True),
    ("hard_cap", {"total_project_cost": Decimal("10000000.00"), "grant_sought": Decimal("3000000.00")}, False),
    ("grant_exceeds_cost", {"total_project_cost": Decimal("9000000.00"), "grant_sought": Decimal("9000000.01")}, True),
    ("wholly_private", {"wholly_private": False}, True),
    ("wholly_private", {"wholly_private": True}, False),
    ("applicant_type", {"applicant_type": None}, True),
    ("applicant_type", {"applicant_type": ApplicantType.GENERICS_MANUFACTURER}, False),
    ("product_type", {"product_type": None}, True),
    ("product_type", {"product_type": ProductType.DIAGNOSTICS}, False),
    ("excluded_input_materials", {"excluded_products": ["input_materials"]}, True),
    ("excluded_consumables_equipment", {"excluded_products": ["consumables_equipment"]}, True),
    ("excluded_consumables_equipment", {"excluded_products": []}, False),
    ("uk_site", {"site_postcode": "GY1 1AA"}, True),
    ("uk_site", {"site_postcode": "BT1 1AA"}, False),
    ("different_project", {"previous_recipient": True, "different_project": False}, True),
    ("different_project", {"previous_recipient": True, "different_project": True}, False),
]


@pytest.mark.parametrize(("rule", "changes", "fails"), BOUNDARIES,
                         ids=[f"{r}-{'fails' if f else 'passes'}-{i}" for i, (r, _, f) in enumerate(BOUNDARIES)])
def test_eligibility_rule_boundaries(fund, make, session, rule, changes, fails):
    organisation = make.organisation()
    values = {
        "applicant_type": ApplicantType.CDMO, "wholly_private": True, "product_type": ProductType.DRUG_PRODUCT,
        "excluded_products": [], "site_postcode": "LS2 9JT", "previous_recipient": False,
        "different_project": None, "total_project_cost": Decimal("20000000.00"),
        "grant_sought": Decimal("2000000.00"),
    }
    eoi = ExpressionOfInterest(fund=fund, organisation=organisation, **{**values, **changes})
    failed_rules = {failure.rule for failure in eligibility.check(eoi, fund.rules)}
    assert (rule in failed_rules) is fails, failed_rules


def test_rules_are_settings(fund, make, session):
    """A rule changed by an admin applies to EOIs checked afterwards."""
    admin = make.user(Role.ADMIN)
    organisation = make.organisation()
    eoi = ExpressionOfInterest(fund=fund, organisation=organisation, applicant_type=ApplicantType.CDMO,
                               wholly_private=True, product_type=ProductType.MEDTECH, excluded_products=[],
                               total_project_cost=Decimal("9000000.00"), grant_sought=Decimal("1000000.00"))
    assert eligibility.check(eoi, fund.rules) == []
    funds.update_rules(session, fund=fund, by=admin, min_project_cost=Decimal("10000000.00"),
                       product_types=["drug_substance", "drug_product"])
    session.commit()
    assert {f.rule for f in eligibility.check(eoi, fund.rules)} == {"min_project_cost", "product_type"}


def test_changing_rules_never_alters_a_submitted_eoi(client, applicant, fund, make, session):
    client.sign_in(applicant.email)
    eoi_url = _start(client)
    _submit(client, eoi_url)
    eoi = session.scalar(sa.select(ExpressionOfInterest))
    rules_then = eoi.rules_id
    funds.update_rules(session, fund=fund, by=make.user(Role.ADMIN), min_project_cost=Decimal("50000000.00"))
    session.commit()
    session.expire_all()
    eoi = session.get(ExpressionOfInterest, eoi.id)
    assert eoi.rules_id == rules_then and eoi.rules.min_project_cost == Decimal("8000000.00")
    assert eoi.eligibility_failures == []
    assert "It meets every rule" in client.get(eoi_url).text


def test_fund_manager_invites_an_eligible_company(app, client, applicant, make, round_, session, run_jobs):
    client.sign_in(applicant.email)
    eoi_url = _start(client)
    _submit(client, eoi_url)
    client.sign_out()
    fund_manager = make.user(Role.FUND_MANAGER)
    session.commit()
    client.sign_in(fund_manager.email)
    queue = client.get("/eois/")
    assert "Sterile fill-finish line" in queue.text and "Passed" in queue.text
    page = client.submit(eoi_url + "/decision", {"decision": "invite", "round_id": str(round_.id),
                                                 "notes": "Checked Companies House and the site: fine."})
    assert page.status == 302
    client.sign_out()
    run_jobs()
    client.sign_in(applicant.email)
    home = client.get("/home")
    assert "Invited to apply" in home.text and "Apply in Round 1" in home.text
    invited = [m for m in sent_emails(app) if m["Subject"] == "You are invited to apply to the LSIMF"]
    assert len(invited) == 2
    session.expire_all()
    eoi = session.scalar(sa.select(ExpressionOfInterest))
    assert eoi.status is EoiStatus.INVITED and eoi.decided_by_id == fund_manager.id
    assert eoi.invited_round_id == round_.id


def test_fund_manager_declines_with_reasons_the_company_sees(app, client, applicant, make, round_, session,
                                                             run_jobs):
    client.sign_in(applicant.email)
    eoi_url = _start(client, {"total_project_cost": "5,000,000"})
    _submit(client, eoi_url)
    client.sign_out()
    fund_manager = make.user(Role.FUND_MANAGER)
    session.commit()
    client.sign_in(fund_manager.email)
    # An EOI that failed the automatic check cannot be invited.
    page = client.submit(eoi_url + "/decision", {"decision": "invite", "round_id": str(round_.id), "notes": "ok"})
    assert page.status == 400 and "passed the eligibility check" in page.text
    page = client.submit(eoi_url + "/decision", {"decision": "decline",
                                                 "notes": "The project is below the £8m minimum."})
    assert page.status == 302
    client.sign_out()
    run_jobs()
    client.sign_in(applicant.email)
    page = client.get(eoi_url)
    assert "Not invited to a full application" in page.text and "below the £8m minimum" in page.text
    declined = [m for m in sent_emails(app) if m["Subject"] == "Your expression of interest: outcome"]
    assert declined and "below the £8m minimum" in declined[0].get_payload(decode=True).decode()


def test_a_decided_eoi_cannot_be_decided_again(client, applicant, make, round_, session):
    client.sign_in(applicant.email)
    eoi_url = _start(client)
    _submit(client, eoi_url)
    client.sign_out()
    fund_manager = make.user(Role.FUND_MANAGER)
    session.commit()
    client.sign_in(fund_manager.email)
    assert client.submit(eoi_url + "/decision", {"decision": "decline", "notes": "No."}).status == 302
    assert client.get(eoi_url + "/decision").status == 404
    page = client.post(eoi_url + "/decision", {"csrf_token": client.csrf_token(eoi_url), "decision": "invite",
                                              "round_id": str(round_.id), "notes": "Changed my mind"})
    assert page.status == 404
    session.expire_all()
    assert session.scalar(sa.select(ExpressionOfInterest)).status is EoiStatus.DECLINED


@pytest.mark.parametrize(("field", "value", "message"), [
    ("project_title", "", "Enter the project title"),
    ("project_title", "x" * 201, "Project title must be 200 characters or fewer"),
    ("project_summary", "   ", "Summarise the project"),
    ("site_postcode", "XYZ", "Enter a real postcode, like SW1A 1AA"),
    ("applicant_type", "university", "Select what kind of business the applicant is"),
    ("wholly_private", "", "Select yes if the applicant is wholly private sector"),
    ("product_type", "", "Select what the project will manufacture"),
    ("excluded_products", "weapons", "Select only products from the list"),
    ("different_project", "", "Select yes if this is a different project"),
    ("total_project_cost", "", "Enter the total project cost"),
    ("total_project_cost", "lots", "Enter the total project cost as a number, like 8,000,000"),
    ("total_project_cost", "-5", "The total project cost must be more than £0"),
    ("total_project_cost", "0", "The total project cost must be more than £0"),
    ("total_project_cost", "100.123", "The total project cost must be in pounds and pence, like 1,250.50"),
    ("total_project_cost", "1" * 20, "The total project cost must be £999,999,999,999.99 or less"),
    ("grant_sought", "1e6", "Enter the grant you are asking for as a number, like 8,000,000"),
    ("grant_sought", "NaN", "Enter the grant you are asking for as a number, like 8,000,000"),
])
def test_bad_answers_are_refused_and_nothing_is_saved(client, applicant, session, field, value, message):
    client.sign_in(applicant.email)
    answers = {**GOOD, field: value}
    if field == "different_project":
        answers["previous_recipient"] = "yes"
    page = client.submit("/eois/new", answers)
    assert page.status == 400
    assert page.title.startswith("Error:")
    assert page.field_error(field) == message
    assert message in page.error_summary()
    assert session.scalar(sa.select(sa.func.count()).select_from(ExpressionOfInterest)) == 0


def test_other_organisations_eois_are_404(client, applicant, make, session, round_):
    client.sign_in(applicant.email)
    eoi_url = _start(client)
    client.sign_out()
    other = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(other.email)
    for url in (eoi_url, eoi_url + "/edit"):
        page = client.get(url)
        assert page.status == 404 and "Sterile fill-finish" not in page.text
    assert client.submit(eoi_url + "/submit", form_url="/home").status == 404
    session.expire_all()
    assert session.scalar(sa.select(ExpressionOfInterest)).status is EoiStatus.DRAFT


def test_only_fund_staff_see_the_queue(client, make, session, fund):
    for role, status in [(Role.APPLICANT, 403), (Role.ASSESSOR, 403), (Role.FINANCE, 403),
                         (Role.FUND_MANAGER, 200), (Role.ADMIN, 200)]:
        user = make.user(role)
        session.commit()
        client.sign_in(user.email)
        assert client.get("/eois/").status == status, role
        client.sign_out()
