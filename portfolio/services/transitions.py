"""How every record moves: one table per record type, read by the workflow engine.

Each line is one move: its verb, the state(s) it starts from (None: a new record), the state it
ends in, who may make it (named role sets, portfolio.models.roles), the audit action, and where
needed a guard (why it is refused right now), a required reason, or `system` (a scheduled job or
worker makes it). Adding a state is adding its member to the StrEnum and its lines here.

Object-level access (whose organisation, which assessor) is the record's access rule
(portfolio.services.policy); the business checks that need figures (budget, subsidy control,
submission problems) run in the service before it calls `workflow.transition`.
"""

from sqlalchemy.orm import object_session

from portfolio.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Award,
    AwardStatus,
    Claim,
    ClaimStatus,
    Commitment,
    CommitmentStatus,
    Decision,
    DecisionStatus,
    Document,
    DocumentStatus,
    EoiStatus,
    ExpressionOfInterest,
    KpiSnapshot,
    LipApproval,
    LipApprovalStatus,
    LipCase,
    LipComponent,
    LipComponentStatus,
    LipStage,
    LipStageChange,
    MembershipStatus,
    MonitoringReturn,
    Offer,
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
    Partnership,
    PartnershipStatus,
    Payment,
    PaymentStatus,
    ReturnStatus,
    ScaleupCompany,
    SnapshotStatus,
    Variation,
    VariationStatus,
)
from portfolio.models.roles import (
    ACCOUNT_MANAGERS,
    ASSESSORS,
    CASE_WORKERS,
    COMPANY,
    EVERYONE,
    FINANCE,
    FUND_MANAGERS,
    VERIFIERS,
)
from portfolio.services import lip, offers, variations
from portfolio.services.workflow import Machine, move, register

# --- guards: why a move is refused right now (None: it is not) -------------------------------------


def _the_assessor(assignment: Assignment, by) -> str | None:
    if by is None or by.id != assignment.assessor_id:
        return "Only the assessor assigned can make this declaration"
    return None


def _not_submitted(assignment: Assignment, by) -> str | None:
    if assignment.submitted_at is not None:
        return f"{assignment.assessor.name} has submitted scores: the assessment stands"
    return None


def _answerable(offer: Offer, by) -> str | None:
    return offers.response_problem(offer, by)


def _first_of_two(variation: Variation, by) -> str | None:
    if not variation.needs_second_approval:
        return "This change needs one approval"
    return variations.approval_problem(variation, by)


def _final_approval(variation: Variation, by) -> str | None:
    if variation.status is VariationStatus.REQUESTED and variation.needs_second_approval:
        return "This change needs two fund managers' approval: give the first one"
    return variations.approval_problem(variation, by)


def _signatory(variation: Variation, by) -> str | None:
    return variations.accept_problem(variation, by)


def _approvals_given(case: LipCase, by) -> str | None:
    problems = lip.approval_problems(object_session(case), case)
    return "The case cannot be agreed yet: " + "; ".join(problems) if problems else None


def _offer_open(component: LipComponent | LipApproval, by) -> str | None:
    case = component.case
    if case.stage not in lip.OFFER_OPEN:
        return f"The case is {case.stage.label.lower()}: its offer and approvals can no longer change"
    if isinstance(component, LipComponent) and component.award_id is not None:
        return "A linked LSIMF award's status comes from the award"
    return None


def _partnership_open(commitment: Commitment, by) -> str | None:
    partnership = commitment.partnership
    if partnership.status not in (PartnershipStatus.NEGOTIATING, PartnershipStatus.ACTIVE):
        return f"The partnership is {partnership.status.label.lower()}: it can no longer change"
    return None


def _lip_history(session, case: LipCase, before, after, *, by, reason, at) -> None:
    """A case keeps its own history of stages, and when it entered the current one."""
    case.stage_entered_at = at
    if after in (LipStage.LOST, LipStage.WITHDRAWN):
        case.outcome_reason = reason
    session.add(LipStageChange(case_id=case.id, from_stage=before, to_stage=after, reason=reason, by_id=by.id,
                               at=at))


# --- LSIMF: expression of interest to award ---------------------------------------------------------

E = EoiStatus
EOI = Machine(ExpressionOfInterest, noun="expression of interest", transitions=(
    move("create", None, E.DRAFT, COMPANY, action="eoi.created"),
    move("submit", E.DRAFT, E.SUBMITTED, COMPANY, action="eoi.submitted", label="Submit"),
    move("invite", E.SUBMITTED, E.INVITED, FUND_MANAGERS, action="eoi.invited"),
    move("decline", E.SUBMITTED, E.DECLINED, FUND_MANAGERS, action="eoi.declined"),
))

A = ApplicationStatus
APPLICATION = Machine(Application, noun="application", transitions=(
    move("create", None, A.DRAFT, FUND_MANAGERS, action="application.created"),
    move("submit", A.DRAFT, A.SUBMITTED, COMPANY, action="application.submitted"),
    move("return", A.SUBMITTED, A.DRAFT, FUND_MANAGERS, action="application.returned", reason=True,
         label="Return for changes"),
    move("assess", A.SUBMITTED, A.IN_ASSESSMENT, FUND_MANAGERS, action="application.assessment_started"),
    move("moderate", A.IN_ASSESSMENT, A.MODERATED, FUND_MANAGERS, action="application.moderated"),
    move("recommend", A.MODERATED, A.RECOMMENDED, FUND_MANAGERS, action="application.recommended"),
    move("not_recommend", A.MODERATED, A.NOT_RECOMMENDED, FUND_MANAGERS, action="application.not_recommended"),
    move("approve", A.RECOMMENDED, A.APPROVED, FUND_MANAGERS, action="application.approved"),
    move("reject", (A.RECOMMENDED, A.NOT_RECOMMENDED), A.REJECTED, FUND_MANAGERS, action="application.rejected"),
    move("issue_offer", A.APPROVED, A.OFFER_ISSUED, FUND_MANAGERS, action="application.offer_issued"),
    move("accept_offer", A.OFFER_ISSUED, A.OFFER_ACCEPTED, COMPANY, action="application.offer_accepted"),
    move("decline_offer", A.OFFER_ISSUED, A.WITHDRAWN, COMPANY, action="application.offer_declined"),
    move("expire_offer", A.OFFER_ISSUED, A.OFFER_EXPIRED, FUND_MANAGERS, action="application.offer_expired",
         system=True),
))

S = AssignmentStatus
ASSIGNMENT = Machine(Assignment, noun="assessment", transitions=(
    move("assign", None, S.AWAITING_DECLARATION, FUND_MANAGERS, action="assessment.assigned"),
    move("declare_no_conflict", S.AWAITING_DECLARATION, S.ACTIVE, ASSESSORS, action="assessment.no_conflict",
         guard=_the_assessor),
    move("declare_conflict", S.AWAITING_DECLARATION, S.CONFLICTED, ASSESSORS,
         action="assessment.conflict_declared", guard=_the_assessor),
    move("remove", S.ACTIVE, S.REMOVED, FUND_MANAGERS, action="assessment.removed", guard=_not_submitted),
))

D = DecisionStatus
DECISION = Machine(Decision, noun="decision", transitions=(
    move("recommend", None, D.RECOMMENDED, FUND_MANAGERS, action="decision.recommended"),
    move("not_recommend", None, D.NOT_RECOMMENDED, FUND_MANAGERS, action="decision.not_recommended"),
    move("first_approval", D.RECOMMENDED, D.AWAITING_SECOND_APPROVAL, FUND_MANAGERS,
         action="application.first_approval"),
    move("approve", (D.RECOMMENDED, D.AWAITING_SECOND_APPROVAL), D.APPROVED, FUND_MANAGERS,
         action="decision.approved"),
    move("reject", (D.RECOMMENDED, D.NOT_RECOMMENDED, D.AWAITING_SECOND_APPROVAL), D.REJECTED, FUND_MANAGERS,
         action="decision.rejected"),
))

W = AwardStatus
AWARD = Machine(Award, noun="award", transitions=(
    move("approve", None, W.APPROVED, FUND_MANAGERS, action="award.approved"),
    move("offer", W.APPROVED, W.OFFERED, FUND_MANAGERS, action="award.offered"),
    move("accept", W.OFFERED, W.ACCEPTED, COMPANY, action="award.accepted"),
    move("release", W.OFFERED, W.RELEASED, COMPANY, action="award.released", system=True),
))

O = OfferStatus
OFFER = Machine(Offer, noun="offer", transitions=(
    move("issue", None, O.ISSUED, FUND_MANAGERS, action="offer.issued"),
    move("accept", O.ISSUED, O.ACCEPTED, COMPANY, action="offer.accepted", guard=_answerable, label="Accept"),
    move("decline", O.ISSUED, O.DECLINED, COMPANY, action="offer.declined", guard=_answerable, reason=True,
         label="Decline"),
    move("expire", O.ISSUED, O.EXPIRED, (), action="offer.expired", system=True),
))

# --- delivery: claims, payments, monitoring returns -------------------------------------------------

C = ClaimStatus
CLAIM = Machine(Claim, noun="claim", transitions=(
    move("start", None, C.DRAFT, COMPANY, action="claim.started"),
    move("submit", C.DRAFT, C.SUBMITTED, COMPANY, action="claim.submitted", label="Submit the claim"),
    move("approve", C.SUBMITTED, C.APPROVED, FINANCE, action="claim.approved"),
    move("reject", C.SUBMITTED, C.REJECTED, FINANCE, action="claim.rejected", reason=True),
    move("pay", C.APPROVED, C.PAID, FINANCE, action="claim.paid"),
))

PAYMENT = Machine(Payment, noun="payment", transitions=(
    move("record", None, PaymentStatus.PAID, FINANCE, action="payment.recorded"),
))

R = ReturnStatus
RETURN = Machine(MonitoringReturn, noun="monitoring return", transitions=(
    move("schedule", None, R.OPEN, (), action="monitoring.return_scheduled", system=True, audit=False),
    move("submit", (R.OPEN, R.RETURNED), R.SUBMITTED, COMPANY, action="monitoring.submitted"),
    move("verify", R.SUBMITTED, R.VERIFIED, VERIFIERS, action="monitoring.verified", label="Verify"),
    move("send_back", R.SUBMITTED, R.RETURNED, VERIFIERS, action="monitoring.returned", reason=True,
         label="Return to the company"),
))

# --- variations to an accepted award (portfolio.services.variations) ----------------------------------

VA = VariationStatus
VARIATION = Machine(Variation, noun="variation", transitions=(
    move("request", None, VA.REQUESTED, COMPANY | FUND_MANAGERS, action="variation.requested"),
    move("query", VA.REQUESTED, VA.QUERIED, FUND_MANAGERS, action="variation.queried", label="Query the request"),
    move("answer", VA.QUERIED, VA.REQUESTED, COMPANY, action="variation.answered", label="Send your answer"),
    move("first_approval", VA.REQUESTED, VA.AWAITING_SECOND_APPROVAL, FUND_MANAGERS,
         action="variation.first_approval", guard=_first_of_two, label="Approve"),
    move("approve", (VA.REQUESTED, VA.AWAITING_SECOND_APPROVAL), VA.APPROVED, FUND_MANAGERS,
         action="variation.approved", guard=_final_approval, label="Approve"),
    move("reject", (VA.REQUESTED, VA.QUERIED, VA.AWAITING_SECOND_APPROVAL), VA.REJECTED, FUND_MANAGERS,
         action="variation.rejected", reason=True, label="Reject"),
    move("withdraw", (VA.REQUESTED, VA.QUERIED), VA.WITHDRAWN, COMPANY | FUND_MANAGERS, action="variation.withdrawn",
         reason=True, label="Withdraw the request"),
    move("accept", VA.APPROVED, VA.ACCEPTED, COMPANY, action="variation.accepted", guard=_signatory,
         label="Accept the amendment"),
))

# --- Large Investment Portfolio -----------------------------------------------------------------------

L = LipStage
_FORWARD = (L.ENQUIRY, L.QUALIFICATION, L.PROPOSITION, L.NEGOTIATION, L.APPROVALS, L.AGREED, L.DELIVERY, L.CLOSED)
_OPEN = tuple(stage for stage in LipStage if stage.is_open)
CASE = Machine(LipCase, noun="case", field="stage", history=_lip_history, transitions=(
    move("open", None, L.ENQUIRY, CASE_WORKERS, action="lip_case.opened"),
    *(move(f"move_to_{after.value}", before, after, CASE_WORKERS, action=f"lip_case.moved_to_{after.value}",
           guard=_approvals_given if after is L.AGREED else None)
      for before, after in zip(_FORWARD, _FORWARD[1:])),
    move("lose", _OPEN, L.LOST, CASE_WORKERS, action="lip_case.lost", reason=True),
    move("withdraw", _OPEN, L.WITHDRAWN, CASE_WORKERS, action="lip_case.withdrawn", reason=True),
))

P = LipComponentStatus
COMPONENT = Machine(LipComponent, noun="offer component", transitions=(
    move("add", None, P.PROPOSED, CASE_WORKERS, action="lip_case.component_created", audit=False),
    move("add_agreed", None, P.AGREED, CASE_WORKERS, action="lip_case.component_created", audit=False),
    move("add_declined", None, P.DECLINED, CASE_WORKERS, action="lip_case.component_created", audit=False),
    *(move(f"mark_{after.value}", tuple(s for s in P if s is not after), after, CASE_WORKERS,
           action="lip_case.component_status", guard=_offer_open) for after in P),
))

V = LipApprovalStatus
APPROVAL = Machine(LipApproval, noun="approval", transitions=(
    move("create", None, V.OUTSTANDING, CASE_WORKERS, action="lip_case.approval_created", audit=False),
    *(move(f"record_{after.value}", tuple(V), after, CASE_WORKERS, action="lip_case.approval_recorded",
           guard=_offer_open) for after in (V.APPROVED, V.REFUSED, V.NOT_NEEDED)),
))

# --- strategic partnerships and the scale-up service ----------------------------------------------------

Q = PartnershipStatus
PARTNERSHIP = Machine(Partnership, noun="partnership", transitions=(
    move("create", None, Q.NEGOTIATING, ACCOUNT_MANAGERS, action="partnership.created"),
    move("sign", Q.NEGOTIATING, Q.ACTIVE, ACCOUNT_MANAGERS, action="partnership.signed"),
    move("complete", Q.ACTIVE, Q.COMPLETED, ACCOUNT_MANAGERS, action="partnership.completed"),
    move("terminate", (Q.NEGOTIATING, Q.ACTIVE), Q.TERMINATED, ACCOUNT_MANAGERS, action="partnership.terminated",
         reason=True),
))

K = CommitmentStatus
COMMITMENT = Machine(Commitment, noun="commitment", transitions=(
    move("add", None, K.OPEN, ACCOUNT_MANAGERS, action="partnership.commitment_added"),
    move("meet", K.OPEN, K.MET, ACCOUNT_MANAGERS, action="partnership.commitment_met", guard=_partnership_open,
         label="Mark as met"),
    move("withdraw", K.OPEN, K.WITHDRAWN, ACCOUNT_MANAGERS, action="partnership.commitment_withdrawn",
         guard=_partnership_open, reason=True, label="Withdraw"),
    move("reopen", (K.MET, K.WITHDRAWN), K.OPEN, ACCOUNT_MANAGERS, action="partnership.commitment_reopened",
         guard=_partnership_open, label="Reopen"),
))

M = MembershipStatus
MEMBERSHIP = Machine(ScaleupCompany, noun="cohort place", transitions=(
    move("join", None, M.ACTIVE, ACCOUNT_MANAGERS, action="scaleup.joined"),
    move("leave", M.ACTIVE, M.LEFT, ACCOUNT_MANAGERS, action="scaleup.left", reason=True),
))

N = SnapshotStatus
SNAPSHOT = Machine(KpiSnapshot, noun="snapshot", transitions=(
    move("submit", None, N.SUBMITTED, COMPANY, action="scaleup.snapshot_created", audit=False),
    move("enter", None, N.CONFIRMED, ACCOUNT_MANAGERS, action="scaleup.snapshot_created", audit=False),
    move("confirm", N.SUBMITTED, N.CONFIRMED, ACCOUNT_MANAGERS, action="scaleup.snapshot_confirmed",
         label="Confirm"),
))

# --- generated documents and e-mail ----------------------------------------------------------------------

G = DocumentStatus
DOCUMENT = Machine(Document, noun="document", transitions=(
    move("request", None, G.QUEUED, EVERYONE, action="document.requested"),
    move("render", G.QUEUED, G.RENDERING, (), action="document.rendering", system=True, audit=False),
    move("finish", G.RENDERING, G.READY, (), action="document.ready", system=True),
    move("requeue", G.RENDERING, G.QUEUED, (), action="document.requeued", system=True, audit=False),
    move("fail", (G.QUEUED, G.RENDERING), G.FAILED, (), action="document.failed", system=True),
    move("retry", G.FAILED, G.QUEUED, EVERYONE, action="document.retried", label="Try again"),
))

X = OutboxStatus
OUTBOX = Machine(OutboxMessage, noun="e-mail", transitions=(
    move("queue", None, X.PENDING, (), action="mail.queued", system=True, audit=False),
    move("send", X.PENDING, X.SENT, (), action="mail.sent", system=True, audit=False),
    move("give_up", X.PENDING, X.FAILED, (), action="mail.failed", system=True),
))

register(EOI, APPLICATION, ASSIGNMENT, DECISION, AWARD, OFFER, CLAIM, PAYMENT, RETURN, VARIATION, CASE, COMPONENT, APPROVAL,
         PARTNERSHIP, COMMITMENT, MEMBERSHIP, SNAPSHOT, DOCUMENT, OUTBOX)
