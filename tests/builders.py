"""Test data builders: make_x(**overrides) with sensible defaults. They flush, tests commit."""

import itertools
import secrets

from portfolio.models import Organisation, Region, Role, User
from portfolio.services.passwords import hash_password
from tests.helpers import DEMO_PASSWORD

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
        n = next(_counter)
        values = {
            "email": f"user{n}@example.com",
            "name": f"Test User {n}",
            "role": role,
            "password_hash": _password_hash(),
            "session_token": secrets.token_hex(16),
        }
        if role is Role.APPLICANT and "organisation" not in overrides and "organisation_id" not in overrides:
            values["organisation"] = self.organisation()
            values["is_signatory"] = True
        values.update(overrides)
        user = User(**values)
        self.session.add(user)
        self.session.flush()
        return user

    def fund(self, **overrides):
        """The LSIMF with its default rules (PRODUCT.md §2.1)."""
        from decimal import Decimal

        from portfolio.models import Fund
        from portfolio.services import funds

        values = {"code": "LSIMF", "name": "Life Sciences Innovative Manufacturing Fund",
                  "budget": Decimal("520000000.00")}
        values.update(overrides)
        fund = Fund(**values)
        self.session.add(fund)
        funds.add_default_rules(self.session, fund)
        return fund

    def open_round(self, fund, **overrides):
        """A round that opened yesterday and closes in 30 days."""
        from datetime import timedelta
        from decimal import Decimal

        from portfolio.models import Round
        from portfolio.models.base import utcnow
        from portfolio.services import criteria

        values = {"name": "Round 1", "opens_on": utcnow().date() - timedelta(days=1),
                  "deadline": utcnow() + timedelta(days=30), "allocation": Decimal("100000000.00")}
        values.update(overrides)
        round_ = Round(fund=fund, **values)
        self.session.add(round_)
        criteria.add_default_criteria(self.session, round_)
        return round_

    def submitted_application(self, fund, **overrides):
        """A submitted application with the answers assessors and offers read (jobs, milestones)."""
        from portfolio.models import ApplicationStatus

        return self.moderated_application(fund, status=ApplicationStatus.SUBMITTED, **overrides)

    def moderated_application(self, fund, *, grant=None, assessor=None, organisation=None,
                              public_funding: str | None = None, referral_recorded: bool = True, status=None):
        """An application as assessment leaves it: moderated, with a weighted score, checked by due
        diligence and (unless told otherwise) with a recorded decision not to refer it to the SAU."""
        from datetime import date
        from decimal import Decimal

        from portfolio.models import (
            Application,
            ApplicationSection,
            ApplicationStatus,
            Assignment,
            AssignmentStatus,
            EoiStatus,
            ExpressionOfInterest,
            Rag,
        )
        from portfolio.models.base import utcnow
        from portfolio.services import due_diligence, subsidy

        grant = grant if grant is not None else Decimal("4000000.00")
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
        from portfolio.services import decisions

        application = self.moderated_application(fund, assessor=assessor, **kwargs)
        decisions.recommend(self.session, application=application, by=recommender, recommended=True,
                            amount=application.grant_requested, note="Strong on health resilience")
        self.session.commit()
        return application

    def approved_application(self, fund, *, recommender, assessor, approver, **kwargs):
        from portfolio.services import decisions

        application = self.recommended_application(fund, recommender=recommender, assessor=assessor, **kwargs)
        decisions.approve(self.session, application=application, by=approver, amount=application.grant_requested,
                          conditions="Planning permission granted before the first claim")
        self.session.commit()
        return application
