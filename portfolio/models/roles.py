"""Roles, and the named sets of roles the access rules and endpoints use (PRODUCT.md §1).

One home for "who": endpoints (`roles_allowed(PORTFOLIO_STAFF)`), the access rule of each record
type (portfolio.services.policy), the workflow tables (portfolio.services.transitions) and the
navigation all name these sets instead of listing roles again.
"""

from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"
    ASSESSOR = "assessor"
    FUND_MANAGER = "fund_manager"
    ACCOUNT_MANAGER = "account_manager"
    FINANCE = "finance"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_staff(self) -> bool:
        return self is not Role.APPLICANT


ROLE_LABELS = {
    Role.APPLICANT: "Company user",
    Role.ASSESSOR: "Assessor",
    Role.FUND_MANAGER: "Fund manager",
    Role.ACCOUNT_MANAGER: "Account manager",
    Role.FINANCE: "Finance",
    Role.ADMIN: "Administrator",
}

EVERYONE = frozenset(Role)
COMPANY = frozenset({Role.APPLICANT})  # a company's own users
STAFF = EVERYONE - COMPANY  # OLS staff
ADMINS = frozenset({Role.ADMIN})
FUND_MANAGERS = frozenset({Role.FUND_MANAGER})
FINANCE = frozenset({Role.FINANCE})
ACCOUNT_MANAGERS = frozenset({Role.ACCOUNT_MANAGER})  # partnerships and the scale-up service
# Run the LSIMF: expressions of interest, applications, rounds and fund settings.
FUND_TEAM = frozenset({Role.FUND_MANAGER, Role.ADMIN})
# May be assigned to assess an application (fund managers sometimes assess).
ASSESSORS = frozenset({Role.ASSESSOR, Role.FUND_MANAGER})
# Read decisions, awards before delivery, offers and the exports.
DECISION_READERS = frozenset({Role.FUND_MANAGER, Role.FINANCE, Role.ADMIN})
# Read the portfolio in delivery: awards, claims, returns, cases, partnerships, scale-ups, reports.
PORTFOLIO_STAFF = frozenset({Role.FUND_MANAGER, Role.ACCOUNT_MANAGER, Role.FINANCE, Role.ADMIN})
# Verify monitoring returns; work Large Investment Portfolio cases.
VERIFIERS = frozenset({Role.FUND_MANAGER, Role.ACCOUNT_MANAGER})
CASE_WORKERS = VERIFIERS
# Finance's own settings: API tokens, additionality.
FINANCE_TEAM = frozenset({Role.FINANCE, Role.ADMIN})
# See every organisation (an assessor sees only the companies of the applications assigned to them).
ORGANISATION_READERS = STAFF - {Role.ASSESSOR}

# Must sign in with a second factor (authenticator app or passkey): every member of staff, and a
# company's signatories (they accept offers and sign declarations). Other company users are offered it.
SECOND_FACTOR_REQUIRED = STAFF


def needs_second_factor(role: Role, *, is_signatory: bool) -> bool:
    return role in SECOND_FACTOR_REQUIRED or (role in COMPANY and is_signatory)
