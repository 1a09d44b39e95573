"""Demo data: the LSIMF fund, one user per role and two demo companies. Idempotent.

It drives the services (and the application's forms) as the people using the service would, so it
sits beside the CLI that runs it, above the services."""

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict

from portfolio.forms.applications import SECTION_FORMS
from portfolio.models import (
    ApplicantType,
    Application,
    CommitmentMeasure,
    ExpressionOfInterest,
    Fund,
    LipComponentKind,
    LipComponentStatus,
    LipSector,
    LipStage,
    Organisation,
    Partnership,
    PartnershipStatus,
    ProductType,
    Region,
    Role,
    Round,
    ScaleupCompany,
    User,
)
from portfolio.models.base import utcnow
from portfolio.references import reference
from portfolio.services import (
    applications,
    audit,
    budgets,
    criteria,
    eois,
    fund_settings,
    funds,
    lip,
    partnerships,
    scaleups,
)
from portfolio.services.passwords import hash_password

DEMO_PASSWORD = "portfolio-demo-2026"
# Every demo account's authenticator app has this key: `flask two-factor code EMAIL` prints the code.
DEMO_TOTP_SECRET = "PORTFOLIODEMOTWOFACTORKEYABCDEFG"

DEMO_COMPANIES = [
    # Fictional companies (the numbers are not real Companies House records).
    {"name": "Northern Biologics Ltd", "company_number": "09876543", "postcode": "LS2 9JT",
     "region": Region.YORKSHIRE},
    {"name": "Clyde Precision Medicines Ltd", "company_number": "SC654321", "postcode": "G1 1XQ",
     "region": Region.SCOTLAND},
]

DEMO_STAFF = [
    (Role.ADMIN, "Ada Admin", "admin@portfolio.example"),
    (Role.FUND_MANAGER, "Farah Fund-Manager", "fund.manager@portfolio.example"),
    # Decisions need a second fund manager (nobody approves what they recommended) and two assessors.
    (Role.FUND_MANAGER, "Dev Decider", "decider@portfolio.example"),
    (Role.ASSESSOR, "Asha Assessor", "assessor@portfolio.example"),
    (Role.ASSESSOR, "Bo Second-Assessor", "assessor2@portfolio.example"),
    (Role.ACCOUNT_MANAGER, "Alex Account-Manager", "account.manager@portfolio.example"),
    (Role.FINANCE, "Fin Finance", "finance@portfolio.example"),
]


@dataclass
class SeedResult:
    created: list[str]
    accounts: list[tuple[str, str, str]]  # (role, email, organisation)


def _user(session: Session, *, email: str, name: str, role: Role, organisation=None,
          is_signatory: bool = False) -> tuple[User, bool]:
    user = session.scalar(sa.select(User).where(User.email == email))
    if user is not None:
        if user.totp_secret is None:  # demo data made before two-factor sign-in
            user.totp_secret, user.totp_enrolled_at = DEMO_TOTP_SECRET, utcnow()
            audit.record(session, actor=None, actor_label="seed-demo", action="two_factor.app_enrolled", entity=user,
                         after={"replaced": False})
        return user, False
    user = User(
        email=email, name=name, role=role, organisation=organisation, is_signatory=is_signatory,
        password_hash=hash_password(DEMO_PASSWORD),
        totp_secret=DEMO_TOTP_SECRET, totp_enrolled_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(session, actor=None, actor_label="seed-demo", action="user.created", entity=user,
                 after={"email": email, "role": role.value, "organisation_id": user.organisation_id})
    return user, True


def seed_demo(session: Session) -> SeedResult:
    created: list[str] = []
    fund = session.scalar(sa.select(Fund).where(Fund.code == "LSIMF"))
    if fund is None:
        fund = Fund(code="LSIMF", name="Life Sciences Innovative Manufacturing Fund",
                    budget=Decimal("520000000.00"))
        session.add(fund)
        session.flush()
        audit.record(session, actor=None, actor_label="seed-demo", action="fund.created", entity=fund,
                     after={"code": fund.code, "budget": fund.budget})
        created.append("fund LSIMF (£520,000,000)")
    if not fund.rule_sets:
        funds.add_default_rules(session, fund)
        created.append("LSIMF eligibility rules (defaults)")
    if not fund.rounds:
        today = utcnow().date()
        for number, (opens, closes) in enumerate([(-30, 60), (60, 150)], start=1):
            round_ = Round(fund=fund, name=f"Round {number}", opens_on=today + timedelta(days=opens),
                           deadline=fund_settings.deadline_at(today + timedelta(days=closes)),
                           allocation=Decimal("130000000.00"))
            session.add(round_)
            criteria.add_default_criteria(session, round_)
            audit.record(session, actor=None, actor_label="seed-demo", action="round.created", entity=round_,
                         after={"name": round_.name, "allocation": round_.allocation})
            created.append(f"LSIMF {round_.name} (£130,000,000, deadline {round_.deadline:%d %B %Y})")

    accounts: list[tuple[str, str, str]] = []
    for role, name, email in DEMO_STAFF:
        user, new = _user(session, email=email, name=name, role=role)
        if new:
            created.append(f"{role.label}: {email}")
        accounts.append((role.label, email, "Office for Life Sciences"))

    for index, company in enumerate(DEMO_COMPANIES, start=1):
        organisation = session.scalar(
            sa.select(Organisation).where(Organisation.company_number == company["company_number"])
        )
        if organisation is None:
            organisation = Organisation(**company)
            session.add(organisation)
            session.flush()
            audit.record(session, actor=None, actor_label="seed-demo", action="organisation.registered",
                         entity=organisation, after={"name": organisation.name})
            created.append(f"organisation {organisation.name}")
        email = f"applicant{index}@company{index}.example"
        user, new = _user(session, email=email, name=f"Company User {index}", role=Role.APPLICANT,
                          organisation=organisation, is_signatory=True)
        if new:
            created.append(f"{Role.APPLICANT.label}: {email}")
        accounts.append((Role.APPLICANT.label, email, organisation.name))
    session.flush()
    if not fund.year_budgets:
        admin = session.scalar(sa.select(User).where(User.email == "admin@portfolio.example"))
        budgets.set_year_budgets(session, fund=fund, by=admin, years=DEMO_YEAR_BUDGETS,
                                 note="Spending Review 2025 settlement (demo data)")
        created.append("LSIMF budget by financial year: " + ", ".join(
            f"{year} £{amount / 1000000:,.0f}m" for year, amount in DEMO_YEAR_BUDGETS.items()))
    application = _submitted_application(session, fund)
    if application is not None:
        created.append(f"a submitted application ready to assess: {reference(application)} "
                       f"({application.organisation.name}, {application.round.name})")
    case = _demo_case(session)
    if case is not None:
        created.append(f"a Large Investment Portfolio case in negotiation: {case.reference} ({case.organisation.name})")
    created.extend(_demo_partnership_and_cohort(session))
    return SeedResult(created, accounts)


# The LSIMF's £520m by Spending Review year: a slow first year while projects are assessed and
# contracted, the peak in the build years, and a tail as the last projects complete.
DEMO_YEAR_BUDGETS = {"2025/26": Decimal("60000000.00"), "2026/27": Decimal("150000000.00"),
                     "2027/28": Decimal("170000000.00"), "2028/29": Decimal("140000000.00")}


def _demo_partnership_and_cohort(session: Session) -> list[str]:
    """A signed strategic partnership with a commitment, and Northern Biologics in the scale-up cohort
    (so its user sees the company's page), through the services an account manager uses. Once only."""
    created = []
    manager = session.scalar(sa.select(User).where(User.email == "account.manager@portfolio.example"))
    today = utcnow().date()
    if session.scalar(sa.select(sa.func.count()).select_from(Partnership)) == 0:
        partner = session.scalar(sa.select(Organisation).where(Organisation.company_number == "08123456"))
        partnership = partnerships.create_partnership(
            session, by=manager, organisation_id=partner.id, new_organisation=None,
            title="Advanced therapies for NHS patients", departments=["DSIT", "DHSC", "NHS England"],
            lead_id=manager.id)
        partnerships.move(session, partnership=partnership, to=PartnershipStatus.ACTIVE, by=manager,
                          signed_on=today - timedelta(days=90))
        commitment = partnerships.add_commitment(
            session, partnership=partnership, by=manager, measure=CommitmentMeasure.INVESTMENT,
            description="Investment in UK manufacturing and trials", target_value=Decimal("150000000.00"), unit="£",
            start_on=today - timedelta(days=90), target_on=today + timedelta(days=640))
        partnerships.record_progress(session, commitment=commitment, by=manager, on=today,
                                     value=Decimal("12000000.00"), note="First phase contracted")
        created.append(f"a strategic partnership: {partnership.reference} ({partner.name})")
    if session.scalar(sa.select(sa.func.count()).select_from(ScaleupCompany)) == 0:
        company = session.scalar(sa.select(Organisation).where(Organisation.company_number == DEMO_COMPANIES[0][
            "company_number"]))
        scaleups.join(session, by=manager, organisation_id=company.id, account_manager_id=manager.id,
                      joined_on=today, reason="Fast-growing biologics developer considering a US listing")
        created.append(f"{company.name} in the scale-up cohort")
    return created


def _demo_case(session: Session):
    """A £400m investment being negotiated, through the same services an account manager uses. Once only."""
    if session.scalar(sa.select(Organisation.id).where(Organisation.company_number == "08123456")):
        return None
    manager = session.scalar(sa.select(User).where(User.email == "account.manager@portfolio.example"))
    case = lip.create_case(
        session, by=manager, organisation_id=None,
        new_organisation={"name": "Mersey Advanced Therapies UK Ltd", "company_number": "08123456",
                          "postcode": "L3 5TQ"},
        title="Viral vector manufacturing campus", summary="A global company choosing between Liverpool, Ireland "
        "and Singapore for its first European viral vector plant.", sector=LipSector.ADVANCED_THERAPIES,
        total_investment=Decimal("400000000.00"), expected_jobs_created=Decimal("350.0"),
        expected_jobs_safeguarded=Decimal("0.0"), expected_rd_spend=Decimal("60000000.00"),
        competing_locations=["Ireland", "Singapore"], sro_id=manager.id, team_ids=[],
        target_decision_on=utcnow().date() + timedelta(days=120), site_name="Speke", site_postcode="L24 9JW")
    for stage in (LipStage.QUALIFICATION, LipStage.PROPOSITION, LipStage.NEGOTIATION):
        lip.move(session, case=case, to=stage, by=manager)
    for kind, amount, status in ((LipComponentKind.UK_EXPORT_FINANCE, "50000000.00", LipComponentStatus.AGREED),
                                 (LipComponentKind.SKILLS, "5000000.00", LipComponentStatus.PROPOSED)):
        lip.add_component(session, case=case, by=manager, kind=kind, owner_body="", amount=Decimal(amount),
                          description="", status=status, is_subsidy=False)
    return case


# Clyde Precision Medicines' application, as its user would fill it in, so a demo can start at
# assessment. Northern Biologics has nothing yet: its user can start from an expression of interest.
DEMO_EOI = {
    "project_title": "Continuous manufacturing of oral solid doses", "site_postcode": "G1 1XQ",
    "project_summary": "A continuous manufacturing line for generic oral solid medicines in Glasgow.",
    "applicant_type": ApplicantType.GENERICS_MANUFACTURER, "wholly_private": True,
    "product_type": ProductType.DRUG_PRODUCT,
    "excluded_products": [], "previous_recipient": False,
    "total_project_cost": Decimal("30000000.00"), "grant_sought": Decimal("5000000.00"),
}
DEMO_SECTIONS = {
    "organisation": {"company_size": "medium", "contact_name": "Company User 2",
                     "contact_email": "applicant2@company2.example", "contact_phone": "0141 496 0000"},
    "project": {"project_summary": DEMO_EOI["project_summary"], "site_address": "1 Clyde Street, Glasgow",
                "site_postcode": "G1 1XQ", "cluster": "scotland"},
    "products": {"product_type": "drug_product", "modality": "Small molecules",
                 "products_description": "Generic tablets and capsules for the NHS, made continuously."},
    "funding": {"grant_requested": "5,000,000", "private_investment": "25,000,000", "public_funding_year_1": "0",
                "public_funding_year_2": "0", "public_funding_year_3": "0", "justification": ""},
    "jobs": {"jobs_year_1": "12", "jobs_year_2": "20", "jobs_year_3": "28", "jobs_year_4": "34",
             "jobs_year_5": "39", "jobs_safeguarded": "37", "threat_evidence": "The batch plant closes in 2028.",
             "average_salary": "41,000"},
    "spillovers": {"rd_spend": "3,000,000", "university_collaborations": "2", "nhs_collaborations": "1",
                   "collaboration_details": "University of Strathclyde continuous manufacturing centre.",
                   "training_places": "15", "uk_supply_chain_spend": "6,000,000"},
    "health_resilience": {"answer": "A second UK source for eight essential generic medicines."},
    "net_zero": {"answer": "Continuous processing uses a third of the energy of batch production."},
    "delivery": {"milestones": "March 2027: building complete\nDecember 2027: first batches released",
                 "risks": "Equipment lead times: two suppliers qualified."},
    "declarations": {"accurate": "y", "subsidy": "y", "minimum_necessary": "y", "data_sharing": "y"},
}
DEMO_COSTS = [("land_buildings", "Manufacturing hall", "18000000.00", True, True),
              ("equipment", "Continuous tableting line", "9000000.00", True, True),
              ("staff", "Process validation team", "3000000.00", False, False)]
DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


# The demo application's project (its milestones: building complete March 2027, first batches
# December 2027) and the £5m grant it asks for by quarter: £1.5m in 2026/27, £3.5m in 2027/28.
DEMO_PROJECT = (date(2027, 1, 1), date(2027, 12, 31))
DEMO_PROFILE = {date(2027, 1, 1): Decimal("1500000.00"), date(2027, 4, 1): Decimal("1500000.00"),
                date(2027, 7, 1): Decimal("1000000.00"), date(2027, 10, 1): Decimal("1000000.00")}


def _submitted_application(session: Session, fund: Fund):
    """Through the same services (and forms) a company and fund manager use. Once only."""
    organisation = session.scalar(sa.select(Organisation).where(Organisation.company_number == "SC654321"))
    round_ = next((r for r in fund.rounds if r.is_open(utcnow())), None)
    if round_ is None or session.scalar(sa.select(ExpressionOfInterest.id).where(
            ExpressionOfInterest.organisation_id == organisation.id)):
        return None
    company = session.scalar(sa.select(User).where(User.email == "applicant2@company2.example"))
    manager = session.scalar(sa.select(User).where(User.email == "fund.manager@portfolio.example"))
    eoi = eois.save_draft(session, fund=fund, organisation=organisation, by=company, answers=DEMO_EOI)
    eois.submit(session, eoi=eoi, by=company)
    eois.invite(session, eoi=eoi, by=manager, round_=round_, notes="Eligible: meets every rule.")
    application = session.scalar(sa.select(Application).where(Application.eoi_id == eoi.id))
    for category, description, amount, capital, eligible in DEMO_COSTS:
        applications.add_cost_item(session, application=application, by=company, category=category,
                                   description=description, amount=Decimal(amount), is_capital=capital,
                                   is_eligible=eligible)
    with current_app.test_request_context():
        for key, answers in DEMO_SECTIONS.items():
            form = SECTION_FORMS[key](formdata=MultiDict(answers), meta={"csrf": False})
            if not form.validate():
                raise RuntimeError(f"demo section {key} is invalid: {form.errors}")
            applications.save_section(session, application=application, key=key, data=form.answers(),
                                      revision=None, by=company)
    applications.attach_document(session, application=application, by=company, file_storage=FileStorage(
        io.BytesIO(DEMO_PDF), filename="business-plan.pdf", content_type="application/pdf"))
    # The grant profile, through the same steps as the company's two pages: the project period, then the quarters.
    section = applications.save_project_period(session, application=application, start=DEMO_PROJECT[0],
                                               completion=DEMO_PROJECT[1], revision=None, by=company)
    applications.save_profile(session, application=application, by=company, revision=section.revision,
                              profile=DEMO_PROFILE)
    applications.submit(session, application=application, by=company)
    return application
