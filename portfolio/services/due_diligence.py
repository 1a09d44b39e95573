"""Due diligence on an applicant: the credit and fraud check's date and RAG result, and how each
red or amber flag was resolved. An unresolved red flag blocks approval."""

from datetime import date

from sqlalchemy.orm import Session

from portfolio.dates import uk_today
from portfolio.models import Application, DueDiligence, DueDiligenceFlag, Rag, User
from portfolio.models.base import utcnow
from portfolio.services import audit
from portfolio.services.errors import DomainError, NotFound


def record_check(session: Session, *, application: Application, by: User, checked_on: date, result: Rag,
                 summary: str) -> DueDiligence:
    if checked_on > uk_today():
        raise DomainError("The check date must be today or in the past", field="checked_on")
    check = application.due_diligence
    before = None
    if check is None:
        check = DueDiligence(application=application, checked_on=checked_on, result=result, summary=summary,
                             recorded_by_id=by.id)
        session.add(check)
    else:
        before = {"checked_on": check.checked_on, "result": check.result.value, "summary": check.summary}
        check.checked_on, check.result, check.summary, check.recorded_by_id = checked_on, result, summary, by.id
    session.flush()
    audit.record(session, actor=by, action="due_diligence.recorded", entity=check, before=before,
                 after={"application_id": application.id, "checked_on": checked_on, "result": result.value,
                        "summary": summary})
    return check


def add_flag(session: Session, *, application: Application, by: User, rag: Rag, description: str) -> DueDiligenceFlag:
    check = application.due_diligence
    if check is None:
        raise DomainError("Record the due diligence check before adding flags")
    if rag is Rag.GREEN:
        raise DomainError("A flag is red or amber", field="rag")
    flag = DueDiligenceFlag(check=check, rag=rag, description=description)
    session.add(flag)
    session.flush()
    audit.record(session, actor=by, action="due_diligence.flag_added", entity=flag,
                 after={"application_id": application.id, "rag": rag.value, "description": description})
    return flag


def get_flag(application: Application, flag_id: int) -> DueDiligenceFlag:
    check = application.due_diligence
    flag = next((f for f in check.flags if f.id == flag_id), None) if check else None
    if flag is None:
        raise NotFound()
    return flag


def resolve_flag(session: Session, *, flag: DueDiligenceFlag, by: User, resolution: str) -> None:
    if flag.resolved_at is not None:
        raise DomainError("This flag has already been resolved")
    flag.resolution, flag.resolved_by_id, flag.resolved_at = resolution, by.id, utcnow()
    session.flush()
    audit.record(session, actor=by, action="due_diligence.flag_resolved", entity=flag,
                 after={"rag": flag.rag.value, "resolution": resolution})


def approval_problems(application: Application) -> list[str]:
    """Why due diligence does not yet allow approval (empty when it does)."""
    check = application.due_diligence
    if check is None:
        return ["Record the due diligence check before approving"]
    problems = [f"Resolve the red flag before approving: {flag.description}"
                for flag in check.flags if flag.rag is Rag.RED and flag.resolved_at is None]
    if check.result is Rag.RED and not any(flag.rag is Rag.RED for flag in check.flags):
        problems.append("The check's result is red: record each red flag and how it was resolved before approving")
    return problems
