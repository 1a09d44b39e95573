"""The annual implementation update (Sector Plan Annex A) for a financial year, made as a PDF.

Action 19 (deliver the £520m LSIMF) is computed from the awards, claims and verified monitoring
returns: investments supported, private investment leveraged, jobs created and safeguarded and
R&D spillovers, for awards decided in the year and for every award decided by its end. The grant and
contracted figures are each award's current terms ("as varied"), with the terms as first offered beside
them (portfolio.services.leverage reads both). Actions 22
(strategic partnerships) and 23 (the scale-up company service) are reported from their own
services once those hold data; until then their sections say so.
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from portfolio.dates import financial_year_bounds
from portfolio.services import leverage, partnerships, scaleups

ANNEX_A = {
    19: ("Deliver the £520 million Life Sciences Innovative Manufacturing Fund (LSIMF)",
         ["Number of LSIMF investments supported", "Amount of private investment leveraged through the LSIMF",
          "Number of jobs created and safeguarded by the LSIMF",
          "Value of R&D spillovers delivered by LSIMF investments"]),
    22: ("Land at least one major strategic partnership per year over the Spending Review period",
         ["The number of, and value of, investments achieved from new strategic partnerships secured across the "
          "health system"]),
    23: ("Establish a dedicated service to support 10-20 high-potential UK companies to scale, invest and remain "
         "domiciled in the UK",
         ["Number of Life Sciences companies listed on FTSE 350",
          "Number of IPOs by UK Life Sciences companies on the LSE and on overseas markets and amount raised overall",
          "Number of people employed by UK Life Sciences SMEs"]),
}


@dataclass
class Update:
    financial_year: str
    in_year: leverage.Figures  # LSIMF awards decided in the year
    to_date: leverage.Figures  # every LSIMF award decided by the end of the year
    settings: leverage.Additionality
    pending: dict[int, str]  # actions with no data yet, and why
    action_22: partnerships.Action22 | None = None
    action_23: scaleups.Action23 | None = None


def build(session: Session, financial_year: str) -> Update:
    _, end = financial_year_bounds(financial_year)
    in_year = leverage.report(session, leverage.Filters(programme="LSIMF", financial_year=financial_year))
    to_date = leverage.report(session, leverage.Filters(programme="LSIMF", decided_before=end))
    action_22 = partnerships.action_22(session, financial_year)
    action_23 = scaleups.action_23(session, financial_year)
    pending = {}
    if not action_22.has_data:
        pending[22] = "Reported from the strategic partnerships service, which holds no signed partnerships yet."
    if not action_23.has_data:
        pending[23] = "Reported from the scale-up company service, which holds no cohort companies yet."
    return Update(financial_year, in_year.total, to_date.total, in_year.settings, pending=pending,
                  action_22=action_22, action_23=action_23)
