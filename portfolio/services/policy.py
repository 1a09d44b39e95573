"""Who may read, and who may act on, each type of record: one rule per record type.

Every way of reaching a record goes through its rule: its page, its files, the PDFs made from it,
exports, the API and any search. A generated document or an uploaded file is readable by exactly
the people who may read the record it belongs to (its typed reference, portfolio.models.records).

    policy.get(session, user, Application, 12)    the record, or NotFound (404) for anyone else
    policy.may_read(user, record)                 the same question, for a record in hand
    policy.may_act(user, record)                  may change its contents (not its status: the
                                                  workflow tables say who moves what)

`read` answers for the record's own page, so a company user is only ever shown its own
organisation's records, an assessor only the applications assigned to them, and confidential
staff records (cases, partnerships) nobody outside the named staff roles.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from portfolio.models import (
    Application,
    Assignment,
    AssignmentStatus,
    Award,
    AwardStatus,
    Claim,
    Commitment,
    Decision,
    Document,
    EoiStatus,
    Forecast,
    ExpressionOfInterest,
    KpiSnapshot,
    LipCase,
    MonitoringReturn,
    Offer,
    Organisation,
    Partnership,
    Payment,
    ProgressUpdate,
    ScaleupCompany,
    Upload,
    User,
    Variation,
)
from portfolio.models.records import Report
from portfolio.models.roles import (
    ACCOUNT_MANAGERS,
    CASE_WORKERS,
    DECISION_READERS,
    FUND_TEAM,
    ORGANISATION_READERS,
    PORTFOLIO_STAFF,
    Role,
)
from portfolio.services.errors import NotFound

Check = Callable[[User, object], bool]


@dataclass(frozen=True)
class Rule:
    read: Check
    act: Check
    organisation_id: Callable[[object], int | None]  # the company the record belongs to (None: no one company)


RULES: dict[type, Rule] = {}


def _nobody(user: User, record) -> bool:
    return False


def rule(model: type, *, read: Check, act: Check = _nobody,
         organisation_id: Callable[[object], int | None] = lambda record: None) -> None:
    RULES[model] = Rule(read, act, organisation_id)


def _rule(record) -> Rule:
    try:
        return RULES[type(record)]
    except KeyError:
        raise LookupError(f"no access rule is declared for {type(record).__name__}") from None


def may_read(user: User | None, record) -> bool:
    if user is None or record is None or not getattr(user, "is_authenticated", False):
        return False
    return _rule(record).read(user, record)


def may_act(user: User | None, record) -> bool:
    return may_read(user, record) and _rule(record).act(user, record)


def organisation_id_of(record) -> int | None:
    return _rule(record).organisation_id(record)


def get(session: Session, user: User, model: type, record_id: int):
    """The record if `user` may read it. :raise NotFound: it does not exist, or they may not know it does."""
    record = session.get(model, record_id)
    if record is None or not may_read(user, record):
        raise NotFound()
    return record


def require_read(user: User, record) -> None:
    if not may_read(user, record):
        raise NotFound()


def readable(user: User, records: Iterable) -> list:
    return [record for record in records if may_read(user, record)]


# --- the rules -----------------------------------------------------------------------------------------

def _company(user: User, organisation_id: int | None) -> bool:
    """A company user of that organisation."""
    return user.role is Role.APPLICANT and organisation_id is not None and user.organisation_id == organisation_id


def _staff(roles) -> Check:
    return lambda user, record: user.role in roles


def _company_or(roles, organisation: Callable[[object], int | None]) -> Check:
    return lambda user, record: _company(user, organisation(record)) or user.role in roles


def _company_only(organisation: Callable[[object], int | None]) -> Check:
    return lambda user, record: _company(user, organisation(record))


def _assigned(user: User, application: Application) -> bool:
    """An assessor assigned to it who has declared no conflict (a fund manager assessing it too)."""
    return any(a.assessor_id == user.id and a.status is AssignmentStatus.ACTIVE for a in application.assignments)


def _org(record) -> int | None:
    return record.organisation_id


def _assessing_for(user: User, organisation: Organisation) -> bool:
    """An assessor sees a company only through an application assigned to them (no conflict declared)."""
    return user.role is Role.ASSESSOR and any(
        _assigned(user, application) for application in organisation.applications)


rule(Organisation, read=lambda user, o: (_company(user, o.id) or user.role in ORGANISATION_READERS
                                         or _assessing_for(user, o)),
     act=_company_only(lambda o: o.id), organisation_id=lambda o: o.id)

rule(ExpressionOfInterest, read=lambda user, eoi: _company(user, eoi.organisation_id) or (
    user.role in FUND_TEAM and eoi.status is not EoiStatus.DRAFT), act=_company_only(_org), organisation_id=_org)

# A draft is the company's work in progress: staff see that it exists and how complete it is (the
# applications list), never its answers or files, until it is submitted.
rule(Application,
     read=lambda user, a: (_company(user, a.organisation_id)
                           or (a.status.submitted and (
                               user.role in FUND_TEAM
                               or (user.role in (Role.ASSESSOR, Role.FUND_MANAGER) and _assigned(user, a))
                               or (user.role in DECISION_READERS and a.status.assessed)))),
     act=_company_only(_org), organisation_id=_org)

rule(Assignment, read=lambda user, a: a.assessor_id == user.id and not a.status.closed,
     act=lambda user, a: a.assessor_id == user.id, organisation_id=lambda a: a.application.organisation_id)

rule(Decision, read=_staff(DECISION_READERS), organisation_id=lambda d: d.application.organisation_id)

rule(Offer, read=_company_or(DECISION_READERS, lambda o: o.award.organisation_id),
     act=_company_only(lambda o: o.award.organisation_id), organisation_id=lambda o: o.award.organisation_id)


def _award_in_delivery(user: User, award: Award) -> bool:
    """An award's delivery pages (claims, returns, statements) exist once its offer is accepted."""
    return award.status is AwardStatus.ACCEPTED and (_company(user, award.organisation_id)
                                                     or user.role in PORTFOLIO_STAFF)


def _award_of(record) -> Award:
    return record.award


rule(Award, read=_award_in_delivery, act=_company_only(_org), organisation_id=_org)
for _model in (Claim, MonitoringReturn, Payment, Forecast, Variation):
    rule(_model, read=lambda user, record: _award_in_delivery(user, record.award),
         act=lambda user, record: _company(user, record.award.organisation_id),
         organisation_id=lambda record: record.award.organisation_id)

rule(LipCase, read=_staff(PORTFOLIO_STAFF), act=_staff(CASE_WORKERS), organisation_id=_org)

rule(Partnership, read=_staff(PORTFOLIO_STAFF), act=_staff(ACCOUNT_MANAGERS), organisation_id=_org)
rule(Commitment, read=_staff(PORTFOLIO_STAFF), act=_staff(ACCOUNT_MANAGERS),
     organisation_id=lambda c: c.partnership.organisation_id)
rule(ProgressUpdate, read=_staff(PORTFOLIO_STAFF), act=_staff(ACCOUNT_MANAGERS),
     organisation_id=lambda u: u.commitment.partnership.organisation_id)

rule(ScaleupCompany, read=_company_or(PORTFOLIO_STAFF, _org), act=_staff(ACCOUNT_MANAGERS), organisation_id=_org)
rule(KpiSnapshot, read=_company_or(PORTFOLIO_STAFF, lambda s: s.company.organisation_id),
     act=_staff(ACCOUNT_MANAGERS), organisation_id=lambda s: s.company.organisation_id)

# Reports over many records: read by the staff who may open the report's page.
REPORT_READERS = {"leverage_report": PORTFOLIO_STAFF, "implementation_update": PORTFOLIO_STAFF}
rule(Report, read=lambda user, report: user.role in REPORT_READERS.get(report.kind, ()))


def _document_record(document: Document):
    return document.record


rule(Document, read=lambda user, document: may_read(user, _document_record(document)),
     organisation_id=lambda document: document.organisation_id)


rule(Upload, read=lambda user, upload: upload.deleted_at is None and may_read(user, upload.owner),
     act=lambda user, upload: upload.deleted_at is None and may_act(user, upload.owner),
     organisation_id=_org)
