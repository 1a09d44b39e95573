"""Assessment of submitted applications (PRODUCT.md §2.2).

A fund manager assigns assessors (fund managers may assess too, never their own assignment);
each declares conflicts of interest before the application opens to them; each scores every
criterion of the round 1–10 with a comment, saving drafts, then submits. Scores stay hidden from
other assessors until their own are submitted. When every assessor still assigned has submitted
(and there are at least the rules' number), the weighted score is the mean of theirs and the
application is flagged for moderation if any criterion's scores spread too far. The fund
manager moderates: a score per criterion with the reason, which sets the ranking score.
"""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Criterion,
    ModeratedScore,
    Round,
    Score,
    User,
)
from portfolio.models.base import utcnow
from portfolio.models.roles import ASSESSORS, FUND_TEAM
from portfolio.services import audit, mail, workflow
from portfolio.services.errors import DomainError

CENT = Decimal("0.01")
MIN_SCORE, MAX_SCORE = 1, 10
OPEN_FOR_ASSIGNMENT = (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_ASSESSMENT)


def active_assignments(application: Application) -> list[Assignment]:
    """Assignments that count: everyone assigned who has not declared a conflict."""
    return [a for a in application.assignments if not a.status.closed]


def assessors_needed(application: Application) -> int:
    return max(0, application.rules_in_force.min_assessors - len(active_assignments(application)))


def assessor_ids(application: Application) -> set[int]:
    """Everyone ever assigned to it, conflicted included: none of them may decide it."""
    return {assignment.assessor_id for assignment in application.assignments}


def scores_complete(application: Application) -> bool:
    active = active_assignments(application)
    return len(active) >= application.rules_in_force.min_assessors and all(a.submitted_at for a in active)


# --- assignment ---------------------------------------------------------------------------------

def assignable(session: Session, application: Application, by: User) -> list[User]:
    taken = assessor_ids(application) | {by.id}
    return [user for user in session.scalars(
        sa.select(User).where(User.role.in_(ASSESSORS), User.is_active.is_(True)).order_by(User.name))
        if user.id not in taken]


def assign(session: Session, *, application: Application, assessor: User, by: User) -> Assignment:
    if application.status not in OPEN_FOR_ASSIGNMENT:
        raise DomainError("Assessors can only be assigned to a submitted application still in assessment")
    if assessor.id == by.id:
        raise DomainError("You cannot assign yourself", field="assessor")
    if assessor.role not in ASSESSORS or not assessor.is_active:
        raise DomainError("Select an active assessor or fund manager", field="assessor")
    if assessor.id in assessor_ids(application):
        raise DomainError(f"{assessor.name} is already assigned to this application", field="assessor")
    assignment = Assignment(application=application, assessor=assessor, assigned_by_id=by.id)
    workflow.start(session, assignment, by=by, details={"application_id": application.id,
                                                        "assessor_id": assessor.id})
    if application.status is ApplicationStatus.SUBMITTED:
        workflow.transition(session, application, ApplicationStatus.IN_ASSESSMENT, by=by,
                            details={"first_assessor_id": assessor.id})
    _update_results(application)
    mail.send_email(session, to=assessor.email, subject="An LSIMF application to assess",
                    template="assessment_assigned", assignment=assignment, application=application, user=assessor)
    return assignment


def remove(session: Session, *, assignment: Assignment, by: User) -> None:
    """Take an assessor off an application before they submit, e.g. one who never scores. One who has
    not opened it yet (no declaration) is simply deleted; one who has seen it stays on record as
    removed, so `assessor_ids` still keeps them out of the decision. Their draft scores never count."""
    if assignment.submitted_at is not None or assignment.status.closed:
        raise DomainError(f"{assignment.assessor.name} has submitted scores or is already off this application")
    if assignment.application.status not in OPEN_FOR_ASSIGNMENT:
        raise DomainError("Assessors can only be changed while the application is in assessment")
    application = assignment.application
    if assignment.status is AssignmentStatus.AWAITING_DECLARATION:
        audit.record(session, actor=by, action="assessment.removed", entity=assignment,
                     before={"application_id": application.id, "assessor_id": assignment.assessor_id,
                             "status": assignment.status.value})
        session.delete(assignment)
        session.flush()
        session.expire(application, ["assignments"])
    else:
        workflow.transition(session, assignment, AssignmentStatus.REMOVED, by=by,
                            details={"application_id": application.id, "assessor_id": assignment.assessor_id})
    _update_results(application)


def for_assessor(session: Session, user: User) -> list[Assignment]:
    closed = [status for status in AssignmentStatus if status.closed]
    return list(session.scalars(sa.select(Assignment).where(Assignment.assessor_id == user.id,
                                                            Assignment.status.not_in(closed))
                                .order_by(Assignment.id.desc())))


def declare(session: Session, *, assignment: Assignment, by: User, conflict: bool, details: str | None) -> None:
    if assignment.status is not AssignmentStatus.AWAITING_DECLARATION:
        raise DomainError("You have already made your declaration")
    if conflict and not details:
        raise DomainError("Describe the conflict of interest", field="details")
    assignment.declared_at, assignment.conflict_details = utcnow(), details if conflict else None
    workflow.transition(session, assignment, AssignmentStatus.CONFLICTED if conflict else AssignmentStatus.ACTIVE,
                        by=by, details={"application_id": assignment.application_id, "details": details})
    if conflict:
        _update_results(assignment.application)  # the others may now be complete
        manager = assignment.assigned_by
        mail.send_email(session, to=manager.email, subject="Reassign an LSIMF assessment: conflict of interest",
                        template="assessment_conflict", assignment=assignment, application=assignment.application,
                        user=manager)


# --- scoring ---------------------------------------------------------------------------------------

@dataclass
class Answer:
    score: int | None
    comment: str


def save_scores(session: Session, *, assignment: Assignment, by: User, answers: dict[int, Answer],
                submit: bool) -> None:
    """Save a draft (anything may be blank) or submit (every criterion scored 1–10 with a comment)."""
    if assignment.status is not AssignmentStatus.ACTIVE or assignment.submitted_at is not None:
        raise DomainError("These scores have been submitted and can no longer be changed")
    criteria = assignment.application.round.criteria
    for criterion in criteria:
        answer = answers.get(criterion.id, Answer(None, ""))
        if answer.score is not None and not MIN_SCORE <= answer.score <= MAX_SCORE:
            raise DomainError(f"{criterion.title}: the score must be from 1 to 10", field=f"score_{criterion.id}")
        if submit and answer.score is None:
            raise DomainError(f"{criterion.title}: select a score", field=f"score_{criterion.id}")
        if submit and not answer.comment:
            raise DomainError(f"{criterion.title}: enter a comment", field=f"comment_{criterion.id}")
    existing = {score.criterion_id: score for score in assignment.scores}
    for criterion in criteria:
        answer = answers.get(criterion.id, Answer(None, ""))
        row = existing.get(criterion.id) or Score(assignment=assignment, criterion=criterion)
        row.score, row.comment = answer.score, answer.comment
        session.add(row)
    if submit:
        assignment.submitted_at = utcnow()
    session.flush()
    audit.record(session, actor=by, action="assessment.submitted" if submit else "assessment.draft_saved",
                 entity=assignment, after={"application_id": assignment.application_id, "scores": {
                     c.key: {"score": answers.get(c.id, Answer(None, "")).score} for c in criteria}})
    if submit:
        _update_results(assignment.application)


def weighted_score(scores: dict[int, Decimal], criteria: list[Criterion]) -> Decimal:
    """Σ score × weight (the weights total 1), to two decimal places."""
    return sum((Decimal(scores[c.id]) * c.weight for c in criteria), Decimal("0")).quantize(CENT)


@dataclass
class CriterionResult:
    criterion: Criterion
    scores: list[tuple[Assignment, Score]]  # submitted assessments only
    moderated: ModeratedScore | None

    @property
    def spread(self) -> int | None:
        values = [score.score for _, score in self.scores]
        return max(values) - min(values) if values else None

    @property
    def mean(self) -> Decimal | None:
        values = [Decimal(score.score) for _, score in self.scores]
        return (sum(values) / len(values)).quantize(CENT) if values else None


@dataclass
class Results:
    criteria: list[CriterionResult]
    weighted: list[tuple[Assignment, Decimal]]  # each submitted assessor's weighted score
    spread_limit: int

    def flagged(self, result: CriterionResult) -> bool:
        return result.spread is not None and result.spread > self.spread_limit


def results(application: Application) -> Results:
    submitted = [a for a in active_assignments(application) if a.submitted_at]
    criteria = application.round.criteria
    moderated = {m.criterion_id: m for m in application.moderated_scores}
    by_criterion = [CriterionResult(criterion=c, moderated=moderated.get(c.id), scores=[
        (a, s) for a in submitted for s in a.scores if s.criterion_id == c.id]) for c in criteria]
    weighted = [(a, weighted_score({s.criterion_id: s.score for s in a.scores}, criteria)) for a in submitted]
    return Results(criteria=by_criterion, weighted=weighted, spread_limit=application.rules_in_force.moderation_spread)


def _update_results(application: Application) -> None:
    """The mean of the assessors' weighted scores once all are in; nothing while any is outstanding
    (a newly assigned assessor reopens it)."""
    if application.status is not ApplicationStatus.IN_ASSESSMENT:
        return  # moderated or later: the moderated score stands
    if not scores_complete(application):
        application.weighted_score, application.needs_moderation = None, False
        return
    result = results(application)
    application.weighted_score = (sum(w for _, w in result.weighted) / len(result.weighted)).quantize(CENT)
    application.needs_moderation = any(result.flagged(r) for r in result.criteria)


def may_see_scores(application: Application, user: User) -> bool:
    """Nobody sees others' scores while their own assessment of it is outstanding; a conflicted
    assessor never does; an assessor only sees them once they have submitted."""
    mine = next((a for a in application.assignments if a.assessor_id == user.id), None)
    if mine is not None:
        return mine.status is AssignmentStatus.ACTIVE and mine.submitted_at is not None
    return user.role in FUND_TEAM


# --- moderation and ranking ---------------------------------------------------------------------------

def moderate(session: Session, *, application: Application, by: User, scores: dict[int, Decimal],
             reason: str) -> None:
    if application.status not in (ApplicationStatus.IN_ASSESSMENT, ApplicationStatus.MODERATED):
        raise DomainError("Moderation is only possible before a recommendation is made")
    if not may_see_scores(application, by):
        raise DomainError("You cannot moderate an application you are still assessing")
    if not scores_complete(application):
        raise DomainError("Every assessor must submit their scores before moderation")
    criteria = application.round.criteria
    existing = {m.criterion_id: m for m in application.moderated_scores}
    before = {c.key: existing[c.id].score for c in criteria if c.id in existing} or None
    for criterion in criteria:
        value = scores[criterion.id]
        if not MIN_SCORE <= value <= MAX_SCORE:
            raise DomainError(f"{criterion.title}: the score must be from 1 to 10", field=f"score_{criterion.id}")
        row = existing.get(criterion.id) or ModeratedScore(application=application, criterion=criterion,
                                                           score=value, reason=reason, moderated_by_id=by.id)
        row.score, row.reason, row.moderated_by_id = value, reason, by.id
        session.add(row)
    previous = application.weighted_score
    application.weighted_score = weighted_score(scores, criteria)
    details = {"scores": {c.key: scores[c.id] for c in criteria}, "reason": reason,
               "weighted_score": application.weighted_score, "previous_weighted_score": previous}
    session.flush()
    if application.status is ApplicationStatus.IN_ASSESSMENT:
        workflow.transition(session, application, ApplicationStatus.MODERATED, by=by, details=details)
    else:
        audit.record(session, actor=by, action="application.moderation_changed", entity=application,
                     before={"scores": before}, after=details)


def ranking(session: Session, round_: Round) -> list[Application]:
    """The round's applications in assessment or later, highest weighted score first."""
    return list(session.scalars(
        sa.select(Application).where(Application.round_id == round_.id, Application.status.not_in(
            (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)))
        .order_by(Application.weighted_score.desc().nulls_last(), Application.id)))


def in_assessment(session: Session) -> list[Application]:
    return list(session.scalars(sa.select(Application).where(Application.status.in_(OPEN_FOR_ASSIGNMENT))
                                .order_by(Application.submitted_at)))
