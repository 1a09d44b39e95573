"""Test data builders: make_x(**overrides) with sensible defaults. They flush, tests commit.

Also the data several modules share: the `cast` of people (the `people` fixture), an accepted
award (`accepted_award`), good monitoring-return figures (`GOOD`) and a minimal PDF (`PDF`)."""

import itertools
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from portfolio.models import (
    Application,
    ApplicationSection,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    EoiStatus,
    ExpressionOfInterest,
    Fund,
    Organisation,
    Rag,
    Region,
    Role,
    Round,
    User,
)
from portfolio.models.base import utcnow
from portfolio.dates import add_months, uk_today
from portfolio.services import (
    criteria,
    decisions,
    due_diligence,
    forecasts,
    funds,
    monitoring,
    offers,
    profiles,
    subsidy,
)
from portfolio.services.passwords import hash_password
from tests.helpers import DEMO_PASSWORD, TOTP_SECRET

_counter = itertools.count(1)
_PASSWORD_HASH = None


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(DEMO_PASSWORD)
    return _PASSWORD_HASH


class Builders:
    def __init__(self, session) -> None:
        self.session = session

    def organisation(self, **overrides) -> Organisation:
        n = next(_counter)
        values = {
            "name": f"Test Biologics {n} Ltd",
            "company_number": f"{n:08d}",
            "postcode": "LS2 9JT",
            "region": Region.YORKSHIRE,
        }
        values.update(overrides)
        organisation = Organisation(**values)
        self.session.add(organisation)
        self.session.flush()
        return organisation

    def user(self, role: Role = Role.APPLICANT, **overrides) -> User:
        """A user with the demo password and an authenticator app set up (TOTP_SECRET);
        `totp_secret=None` for someone who has no second factor yet."""
        n = next(_counter)
        values = {
            "email": f"user{n}@example.com",
            "name": f"Test User {n}",
            "role": role,
            "password_hash": _password_hash(),
            "totp_secret": TOTP_SECRET,
            "totp_enrolled_at": utcnow(),
        }
        if role is Role.APPLICANT and "organisation" not in overrides and "organisation_id" not in overrides:
            values["organisation"] = self.organisation()
            values["is_signatory"] = True
        values.update(overrides)
        if values["totp_secret"] is None:
            values["totp_enrolled_at"] = None
        user = User(**values)
        self.session.add(user)
        self.session.flush()
        return user

    def cast(self) -> dict[str, User]:
        """The people most tests need, one user per part (the `people` fixture; it commits):

        - "company": an applicant, signatory of its own organisation; "stranger": an applicant of another
        - "assessor" (also "ada"; "Ada Assessor"), "bo" ("Bo Assessor"), "cy" ("Cy Assessor"): assessors
        - "recommender" (also "manager"; "Farah Manager"), "approver" ("Vera Verifier"), "fm" ("Fay Fund"):
          fund managers; `accepted_award` uses the recommender, the assessor and the approver
        - "finance" ("Fin Finance"), "admin"
        - "account_manager" (also "am"; "Ada Account"), "am2" ("Ben Builder"): account managers

        A test may add its own with `make.user(...)` (or `people |= {...}`); a test that needs another
        shape of cast builds it with `make`.
        """
        assessor = self.user(Role.ASSESSOR, name="Ada Assessor")
        recommender = self.user(Role.FUND_MANAGER, name="Farah Manager")
        account_manager = self.user(Role.ACCOUNT_MANAGER, name="Ada Account")
        return {
            "company": self.user(Role.APPLICANT), "stranger": self.user(Role.APPLICANT),
            "assessor": assessor, "ada": assessor,
            "bo": self.user(Role.ASSESSOR, name="Bo Assessor"), "cy": self.user(Role.ASSESSOR, name="Cy Assessor"),
            "recommender": recommender, "manager": recommender,
            "approver": self.user(Role.FUND_MANAGER, name="Vera Verifier"),
            "fm": self.user(Role.FUND_MANAGER, name="Fay Fund"),
            "finance": self.user(Role.FINANCE, name="Fin Finance"), "admin": self.user(Role.ADMIN),
            "account_manager": account_manager, "am": account_manager,
            "am2": self.user(Role.ACCOUNT_MANAGER, name="Ben Builder"),
        }

    def fund(self, **overrides):
        """The LSIMF with its default rules (PRODUCT.md §2.1)."""
        values = {"code": "LSIMF", "name": "Life Sciences Innovative Manufacturing Fund",
                  "budget": Decimal("520000000.00")}
        values.update(overrides)
        fund = Fund(**values)
        self.session.add(fund)
        funds.add_default_rules(self.session, fund)
        return fund

    def open_round(self, fund, **overrides):
        """A round that opened yesterday and closes in 30 days."""
        values = {"name": "Round 1", "opens_on": utcnow().date() - timedelta(days=1),
                  "deadline": utcnow() + timedelta(days=30), "allocation": Decimal("100000000.00")}
        values.update(overrides)
        round_ = Round(fund=fund, **values)
        self.session.add(round_)
        criteria.add_default_criteria(self.session, round_)
        return round_

    def submitted_application(self, fund, **overrides):
        """A submitted application with the answers assessors and offers read (jobs, milestones)."""
        return self.moderated_application(fund, status=ApplicationStatus.SUBMITTED, **overrides)

    def moderated_application(self, fund, *, grant=None, assessor=None, organisation=None,
                              public_funding: str | None = None, referral_recorded: bool = True, status=None,
                              profile: dict[date, Decimal] | None = None, project: tuple[date, date] | None = None):
        """An application as assessment leaves it: moderated, with a weighted score, checked by due
        diligence and (unless told otherwise) with a recorded decision not to refer it to the SAU.

        Its grant profile is `profile` (quarter start -> amount), or the grant spread evenly over the
        project period: `project` (start, completion), by default two years from the first of next month
        (as the offer's default terms)."""
        grant = grant if grant is not None else Decimal("4000000.00")
        if project is None:
            first = add_months(uk_today().replace(day=1), 1)
            project = (first, add_months(first, 24) - timedelta(days=1))
        if profile is None:
            profile = profiles.spread(grant, *project)
        applicant = self.user(Role.APPLICANT, **({"organisation": organisation} if organisation else {}))
        eoi = ExpressionOfInterest(fund=fund, organisation=applicant.organisation, created_by=applicant,
                                   status=EoiStatus.INVITED, project_title="Sterile fill-finish line",
                                   submitted_at=utcnow(), invited_round=fund.rounds[0])
        application = Application(fund=fund, round=fund.rounds[0], organisation=applicant.organisation, eoi=eoi,
                                  project_title="Sterile fill-finish line", total_project_cost=grant * 5,
                                  eligible_capital_cost=grant * 4, grant_requested=grant,
                                  private_investment=grant * 4, status=status or ApplicationStatus.MODERATED,
                                  weighted_score=None if status else Decimal("7.25"), submitted_at=utcnow())
        self.session.add_all([eoi, application])
        self.session.flush()
        self.session.add(ApplicationSection(application=application, key="jobs", complete=True, data={
            "jobs_year_1": "10", "jobs_year_2": "20.5", "jobs_year_3": "30", "jobs_year_4": "35", "jobs_year_5": "39",
            "jobs_safeguarded": "37"}))
        self.session.add(ApplicationSection(application=application, key="delivery", complete=True, data={
            "milestones": "June 2027: building complete", "risks": "Validation delays"}))
        self.session.add(ApplicationSection(application=application, key="profile", complete=True, data={
            "project_start": project[0].isoformat(), "project_completion": project[1].isoformat()}))
        application.profile_lines = profiles.to_lines(profile)
        if public_funding:
            self.session.add(ApplicationSection(application=application, key="funding", complete=True,
                                                data={"public_funding_year_1": public_funding}))
        if assessor is not None:
            self.session.add(Assignment(application=application, assessor_id=assessor.id,
                                        assigned_by_id=assessor.id, status=AssignmentStatus.ACTIVE,
                                        submitted_at=utcnow()))
        if status is not None:  # not yet assessed
            self.session.commit()
            return application
        due_diligence.record_check(self.session, application=application, by=assessor or applicant,
                                   checked_on=date.today(), result=Rag.GREEN, summary="Clean credit and fraud checks")
        if referral_recorded:
            subsidy.record_check(self.session, application=application, by=assessor or applicant,
                                 sensitive_sector=False, referred_to_sau=False,
                                 referral_reason="No competition or trade concerns")
        self.session.commit()
        return application

    def recommended_application(self, fund, *, recommender, assessor, **kwargs):
        application = self.moderated_application(fund, assessor=assessor, **kwargs)
        decisions.recommend(self.session, application=application, by=recommender, recommended=True,
                            amount=application.grant_requested, note="Strong on health resilience")
        self.session.commit()
        return application

    def approved_application(self, fund, *, recommender, assessor, approver, **kwargs):
        application = self.recommended_application(fund, recommender=recommender, assessor=assessor, **kwargs)
        decisions.approve(self.session, application=application, by=approver, amount=application.grant_requested,
                          conditions="Planning permission granted before the first claim")
        self.session.commit()
        return application


# Figures of a monitoring return that raise no query against `accepted_award`'s contract.
GOOD = {"capital_spent": Decimal("5000000.00"), "private_investment": Decimal("4000000.00"),
        "jobs_created": Decimal("40.0"), "jobs_safeguarded": Decimal("37.0"), "average_salary": Decimal("38500.00"),
        "rd_spend": Decimal("250000.00"), "collaborations": 2, "patents_filed": 1, "training_places": 6,
        "supply_chain_spend": Decimal("1200000.00")}

# The smallest file the upload checks accept as a PDF.
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def accepted_award(session, make, fund, people, *, start: date, completion: date):
    """A £4m award (25% of £16m eligible capital costs; contracted £16m private investment, 134.5 jobs
    created, 37 safeguarded) whose offer was accepted with this project period. `people` needs a
    "recommender", an "assessor" and an "approver" (the `people` fixture has them)."""
    application = make.approved_application(fund, recommender=people["recommender"], assessor=people["assessor"],
                                            approver=people["approver"])
    terms = replace(offers.default_terms(application), project_start=start, project_completion=completion,
                    profile=None)  # the award's profile fitted to these dates
    offer = offers.issue(session, application=application, by=people["approver"], terms=terms)
    offers.accept(session, offer=offer, by=application.organisation.users[0])
    session.commit()
    return application.award


def submit_return(session, monitoring_return, values=GOOD, **explanations):
    """The company submits the return with these figures (and explanations of queried ones)."""
    monitoring.submit(session, monitoring_return=monitoring_return, by=monitoring_return.award.organisation.users[0],
                      values=values, narrative="On plan", rag=Rag.GREEN, explanations=explanations)
    session.commit()


def forecast_with(session, claim, by):
    """The forecast a claim needs before it is submitted: the company's last forecast (or the agreed profile)
    for the quarters still to come, as the claim's forecast page starts from. None when none are left."""
    quarters = forecasts.period(claim.award, claim=claim)
    if not quarters:
        return None
    return forecasts.record(session, award=claim.award, by=by, claim=claim,
                            profile=forecasts.starting_point(claim.award, quarters))
