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
    Rag,
    Region,
    Role,
    Round,
    ScaleupCompany,
    User,
    VariationKind,
)
from portfolio.dates import add_months, quarter_start, uk_today
from portfolio.models.base import utcnow
from portfolio.references import reference
from portfolio.services import (
    applications,
    assessments,
    audit,
    budgets,
    claims,
    criteria,
    decisions,
    due_diligence,
    eois,
    forecasts,
    offers,
    profiles,
    subsidy,
    variations,
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
    award = _award_in_delivery(session, fund)
    if award is not None:
        created.append(f"an award in delivery: {reference(award.application)} ({award.organisation.name}, "
                       f"£{award.amount:,.0f}), one claim paid, a forecast, an accepted re-profiling and a time "
                       f"extension waiting for a fund manager")
    offered = _award_offered(session, fund)
    if offered is not None:
        created.append(f"an award offered, waiting for the company to accept: {reference(offered.application)} "
                       f"({offered.organisation.name}, £{offered.amount:,.0f})")
    case = _demo_case(session)
    if case is not None:
        created.append(f"a Large Investment Portfolio case in negotiation: {case.reference} ({case.organisation.name})")
    created.extend(_demo_partnership_and_cohort(session))
    return SeedResult(created, accounts)


# The LSIMF's £520m by Spending Review year: a slow first year while projects are assessed and
# contracted, the peak in the build years, and a tail as the last projects complete.
DEMO_YEAR_BUDGETS = {"2025/26": Decimal("60000000.00"), "2026/27": Decimal("150000000.00"),
                     "2027/28": Decimal("170000000.00"), "2028/29": Decimal("140000000.00")}
DEMO_BUDGET_ENDS = date(2029, 3, 31)  # the last day of its last year: the demo awards end by then


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
# assessment. Northern Biologics' user can start another project from an expression of interest.
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
    return _apply(session, round_, organisation, by="applicant2@company2.example", eoi=DEMO_EOI,
                  sections=DEMO_SECTIONS, costs=DEMO_COSTS, period=DEMO_PROJECT, profile=DEMO_PROFILE)


def _user_by(session: Session, email: str) -> User:
    return session.scalar(sa.select(User).where(User.email == email))


def _apply(session: Session, round_: Round, organisation: Organisation, *, by: str, eoi: dict, sections: dict,
           costs: list, period: tuple[date, date], profile: dict[date, Decimal]) -> Application:
    """A company's expression of interest (invited by the fund manager) and its application, filled in through
    the same forms and services as its pages, with its grant profile, and submitted."""
    company, manager = _user_by(session, by), _user_by(session, "fund.manager@portfolio.example")
    eoi = eois.save_draft(session, fund=round_.fund, organisation=organisation, by=company, answers=eoi)
    eois.submit(session, eoi=eoi, by=company)
    eois.invite(session, eoi=eoi, by=manager, round_=round_, notes="Eligible: meets every rule.")
    application = session.scalar(sa.select(Application).where(Application.eoi_id == eoi.id))
    for category, description, amount, capital, eligible in costs:
        applications.add_cost_item(session, application=application, by=company, category=category,
                                   description=description, amount=Decimal(amount), is_capital=capital,
                                   is_eligible=eligible)
    with current_app.test_request_context():
        for key, answers in sections.items():
            form = SECTION_FORMS[key](formdata=MultiDict(answers), meta={"csrf": False})
            if not form.validate():
                raise RuntimeError(f"demo section {key} is invalid: {form.errors}")
            applications.save_section(session, application=application, key=key, data=form.answers(),
                                      revision=None, by=company)
    applications.attach_document(session, application=application, by=company, file_storage=FileStorage(
        io.BytesIO(DEMO_PDF), filename="business-plan.pdf", content_type="application/pdf"))
    # The grant profile, through the same steps as the company's two pages: the project period, then the quarters.
    section = applications.save_project_period(session, application=application, start=period[0],
                                               completion=period[1], revision=None, by=company)
    applications.save_profile(session, application=application, by=company, revision=section.revision,
                              profile=profile)
    applications.submit(session, application=application, by=company)
    return application


def _approve_and_offer(session: Session, application: Application, *, amount: Decimal, note: str):
    """Assessment as the assessors and fund managers do it: two assessors declare no conflict and score, the
    fund manager moderates and recommends; a different fund manager records the due diligence and subsidy
    checks, approves and issues the offer on the default terms."""
    manager = _user_by(session, "fund.manager@portfolio.example")
    decider = _user_by(session, "decider@portfolio.example")
    criteria_ = application.round.criteria
    for email, score in (("assessor@portfolio.example", 8), ("assessor2@portfolio.example", 7)):
        assessor = _user_by(session, email)
        assignment = assessments.assign(session, application=application, assessor=assessor, by=manager)
        assessments.declare(session, assignment=assignment, by=assessor, conflict=False, details=None)
        assessments.save_scores(session, assignment=assignment, by=assessor, submit=True, answers={
            criterion.id: assessments.Answer(score, f"Strong evidence on {criterion.title.lower()}")
            for criterion in criteria_})
    assessments.moderate(session, application=application, by=manager, reason="Agreed at the moderation panel",
                         scores={criterion.id: Decimal("7.5") for criterion in criteria_})
    due_diligence.record_check(session, application=application, by=decider, checked_on=uk_today(),
                               result=Rag.GREEN, summary="Clean credit, fraud and ownership checks")
    decisions.recommend(session, application=application, by=manager, recommended=True, amount=amount, note=note)
    subsidy.record_check(session, application=application, by=decider, sensitive_sector=False,
                         referred_to_sau=False, referral_reason="No competition or trade concerns")
    decisions.approve(session, application=application, by=decider, amount=amount,
                      conditions="Planning permission granted before the first claim")
    return offers.issue(session, application=application, by=decider, terms=offers.default_terms(application))


# Northern Biologics' award, made and delivered through the same services (and forms) its users, the
# assessors, the fund managers and finance use, so the finance pages (budget and spend by year), the
# forecasts and the variations have something to show. Dates follow the day the seed runs: the project
# started two quarters before the current one, so its first claim (in arrears) is already paid.
AWARD_EOI = {
    "project_title": "Single-use bioreactor suite for monoclonal antibodies", "site_postcode": "LS2 9JT",
    "project_summary": "A clinical and commercial antibody manufacturing suite in Leeds.",
    "applicant_type": ApplicantType.CDMO, "wholly_private": True, "product_type": ProductType.DRUG_SUBSTANCE,
    "excluded_products": [], "previous_recipient": False,
    "total_project_cost": Decimal("48000000.00"), "grant_sought": Decimal("9600000.00"),
}
AWARD_SECTIONS = DEMO_SECTIONS | {
    "organisation": {"company_size": "medium", "contact_name": "Company User 1",
                     "contact_email": "applicant1@company1.example", "contact_phone": "0113 496 0000"},
    "project": {"project_summary": AWARD_EOI["project_summary"], "site_address": "2 Park Row, Leeds",
                "site_postcode": "LS2 9JT", "cluster": "yorkshire_humber"},
    "products": {"product_type": "drug_substance", "modality": "Monoclonal antibodies",
                 "products_description": "Antibodies for clinical trials and NHS supply, made in single-use "
                                         "bioreactors."},
    "funding": {"grant_requested": "9,600,000", "private_investment": "38,400,000", "public_funding_year_1": "0",
                "public_funding_year_2": "0", "public_funding_year_3": "0", "justification": ""},
    "jobs": {"jobs_year_1": "20", "jobs_year_2": "45", "jobs_year_3": "60", "jobs_year_4": "70",
             "jobs_year_5": "75", "jobs_safeguarded": "40",
             "threat_evidence": "The old fermentation plant closes in 2029.",
             "average_salary": "44,000"},
    "health_resilience": {"answer": "UK capacity for antibodies now made only in the US and Ireland."},
    "delivery": {"milestones": "Year 1: building shell complete\nYear 2: suite qualified\nYear 3: first "
                               "commercial batches",
                 "risks": "Bioreactor lead times: orders placed before the award."},
}
AWARD_COSTS = [("land_buildings", "Bioreactor hall and cleanrooms", "28000000.00", True, True),
               ("equipment", "Single-use bioreactors and purification train", "20000000.00", True, True)]
# The grant by quarter over three years: a slow start, the peak in the build year, a tail.
AWARD_SHAPE = [Decimal(x) for x in ("0.3", "0.5", "0.7", "0.9", "1.2", "1.2", "1.2", "1.2", "0.9", "0.7", "0.5",
                                    "0.3")]
AWARD_GRANT = Decimal("9600000.00")


def half(amount: Decimal) -> Decimal:
    return (amount / 2).quantize(Decimal("0.01"))


def _award_period() -> tuple[date, date]:
    """Three years from the first day of the quarter two quarters ago (no later than the budget's last year)."""
    start = add_months(quarter_start(uk_today()), -6)
    return start, min(add_months(start, 36) - timedelta(days=1), DEMO_BUDGET_ENDS)


def _award_in_delivery(session: Session, fund: Fund):
    """Northern Biologics' £9.6m award, assessed, approved, offered and accepted, with a paid claim, an
    updated forecast that slips grant into the next year, an accepted re-profiling (terms version 2) and a
    time extension waiting for a fund manager. Once only (the company's expression of interest marks it)."""
    organisation = session.scalar(sa.select(Organisation).where(
        Organisation.company_number == DEMO_COMPANIES[0]["company_number"]))
    round_ = next((r for r in fund.rounds if r.is_open(utcnow())), None)
    start, completion = _award_period()
    quarters = profiles.quarters(start, completion)
    if round_ is None or len(quarters) < 8 or session.scalar(sa.select(ExpressionOfInterest.id).where(
            ExpressionOfInterest.organisation_id == organisation.id)):
        return None  # done already, or too late for the demo budget's years (from 2028 on)
    company, decider, finance = (_user_by(session, "applicant1@company1.example"),
                                 _user_by(session, "decider@portfolio.example"),
                                 _user_by(session, "finance@portfolio.example"))
    today = uk_today()
    application = _apply(session, round_, organisation, by=company.email, eoi=AWARD_EOI, sections=AWARD_SECTIONS,
                         costs=AWARD_COSTS, period=(start, completion),
                         profile=profiles.scale(dict(zip(quarters, AWARD_SHAPE)), AWARD_GRANT))
    offer = _approve_and_offer(session, application, amount=AWARD_GRANT, note="Strong on health resilience and jobs")
    offers.accept(session, offer=offer, by=company)
    award = application.award

    # A re-profiling, accepted: the commercial batches come forward, so grant moves from the last year into
    # the build year (the award's terms become version 2).
    profile = variations.current_profile(award)
    moved = {quarter: half(profile[quarter]) for quarter in quarters[-2:]}
    proposal = dict(profile)
    for quarter, amount in moved.items():
        proposal[quarter] -= amount
    proposal[quarters[-6]] += sum(moved.values())  # a year earlier than the first of them
    variation = variations.request(session, award=award, by=company, kind=VariationKind.REPROFILE,
                                   reasons="The first commercial batches are a year earlier than planned",
                                   proposal=variations.Proposal(profile=proposal))
    variations.approve(session, variation=variation, by=decider, note="Within the year's headroom")
    variations.accept(session, variation=variation, by=company)

    # The first claim, in arrears for the first two quarters, with the company's forecast; finance approves
    # it in full and pays it.
    claim = claims.start(session, award=award, by=company, period_start=start,
                         period_end=quarter_start(today) - timedelta(days=1))
    for description, invoice, days, amount in (("Steel frame and cladding", "NB-1041", 40, "2600000.00"),
                                               ("Cleanroom design and enabling works", "NB-1077", 130, "1400000.00")):
        claims.add_item(session, claim=claim, by=company, description=description, invoice_reference=invoice,
                        defrayed_on=start + timedelta(days=days), amount=Decimal(amount))
    ahead = forecasts.period(award, claim=claim)
    forecasts.record(session, award=award, by=company, claim=claim, profile=forecasts.starting_point(award, ahead),
                     note="As agreed")
    claims.submit(session, claim=claim, by=company)
    claims.review(session, claim=claim, by=finance, approved={item.id: item.amount for item in claim.items},
                  reason=None)
    claims.record_payment(session, claim=claim, by=finance, amount=claim.payable, paid_on=today,
                          reference="BACS-NB-0001")

    # Between claims the company updates its forecast: the bioreactors arrive late, so half of this year's
    # remaining grant slips into the next year.
    ahead = forecasts.period(award)
    forecast = forecasts.starting_point(award, ahead)
    slipped = sum((half(forecast[quarter]) for quarter in ahead[:2]), Decimal("0.00"))
    for quarter in ahead[:2]:
        forecast[quarter] -= half(forecast[quarter])
    forecast[ahead[4]] += slipped  # a year after the first of them
    forecasts.record(session, award=award, by=company, profile=forecast,
                     note="Bioreactor delivery slipped by two quarters")

    # ... and asks for three more months to complete, which waits for a fund manager.
    new_completion = add_months(completion + timedelta(days=1), 3) - timedelta(days=1)
    variations.request(session, award=award, by=company, kind=VariationKind.TIME_EXTENSION,
                       reasons="Bioreactor delivery slipped: qualification runs three months later",
                       proposal=variations.Proposal(new_completion=new_completion,
                                                    profile=variations.current_profile(award)))
    return award


# Clyde Precision Medicines' second project: approved and offered, waiting for the company to accept, so
# the budget's committed figures include an award not yet in delivery.
OFFERED_EOI = DEMO_EOI | {
    "project_title": "Sterile fill-finish line for generic injectables",
    "project_summary": "An aseptic fill-finish line for generic injectable medicines in Glasgow.",
    "total_project_cost": Decimal("20000000.00"), "grant_sought": Decimal("4000000.00"),
}
OFFERED_SECTIONS = DEMO_SECTIONS | {
    "project": DEMO_SECTIONS["project"] | {"project_summary": OFFERED_EOI["project_summary"]},
    "funding": DEMO_SECTIONS["funding"] | {"grant_requested": "4,000,000", "private_investment": "16,000,000"},
    "delivery": {"milestones": "Year 1: cleanroom complete\nYear 2: line validated and first batches released",
                 "risks": "Isolator supply: two suppliers qualified."},
}
OFFERED_COSTS = [("land_buildings", "Grade A/B cleanroom", "8000000.00", True, True),
                 ("equipment", "Isolator filling line", "12000000.00", True, True)]
OFFERED_SHAPE = [Decimal(x) for x in ("0.2", "0.4", "0.6", "0.8", "0.6", "0.6", "0.5", "0.3")]
OFFERED_GRANT = Decimal("4000000.00")


def _award_offered(session: Session, fund: Fund):
    """Clyde Precision Medicines' £4m award, offered and not yet accepted: two years from next quarter. Once
    only (its expression of interest marks it)."""
    organisation = session.scalar(sa.select(Organisation).where(
        Organisation.company_number == DEMO_COMPANIES[1]["company_number"]))
    round_ = next((r for r in fund.rounds if r.is_open(utcnow())), None)
    if round_ is None or session.scalar(sa.select(ExpressionOfInterest.id).where(
            ExpressionOfInterest.organisation_id == organisation.id,
            ExpressionOfInterest.project_title == OFFERED_EOI["project_title"])):
        return None
    start = add_months(quarter_start(uk_today()), 3)
    completion = min(add_months(start, 24) - timedelta(days=1), DEMO_BUDGET_ENDS)
    quarters = profiles.quarters(start, completion) if completion > start else []
    if len(quarters) < 4:
        return None  # too late for the demo budget's years
    application = _apply(session, round_, organisation, by="applicant2@company2.example", eoi=OFFERED_EOI,
                         sections=OFFERED_SECTIONS, costs=OFFERED_COSTS, period=(start, completion),
                         profile=profiles.scale(dict(zip(quarters, OFFERED_SHAPE)), OFFERED_GRANT))
    return _approve_and_offer(session, application, amount=OFFERED_GRANT,
                              note="Good value: a second UK source of essential injectables").award
