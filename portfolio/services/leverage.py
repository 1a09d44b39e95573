"""The leverage report (PRODUCT.md §6, DOMAIN-FACTS.md §3): what the public money levered.

One SQL statement sums everything the report needs (each award's contract, what has been paid,
the figures of its latest verified return and its spillovers to date) per region, cluster and
financial year of the decision; the totals and the three breakdowns are added up from those few
groups in Python with Decimal. Definitions, as the report states them:

    grant committed        awards approved, offered or accepted (released offers excluded)
    private investment     contracted: the offer's figure; actual: the latest verified return's
    leverage               private investment per £1 of grant: contracted ÷ committed, actual ÷ paid
    project cost leverage  total project cost per £1 of grant committed
    jobs                   contracted: the offer's; actual: the latest verified return's (FTE)
    cost per job           gross: grant ÷ jobs (created + safeguarded); net: grant ÷ (jobs × net factor)
    net factor             (1 − deadweight) × (1 − leakage) × (1 − displacement) × (1 − substitution) × multiplier
    R&D spillovers         sums over every verified return: R&D spend, collaborations, patents filed,
                           training places and UK supply-chain spend

The grant and contracted figures are each award's current terms: the award and its offer carry the
latest version of its terms (portfolio.services.award_terms.follow), so a variation's changes count
as soon as the company accepts it. Beside them the report keeps the same figures "as first offered"
(version 1 of the terms, `*_first`), and counts the awards whose terms have been varied.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, selectinload

from portfolio import charts
from portfolio.dates import UK, financial_year_bounds, financial_year_of, financial_year_sql
from portfolio.models import (
    AdditionalitySettings,
    Application,
    Award,
    AwardStatus,
    AwardTerms,
    Cluster,
    Fund,
    LipCase,
    LipComponent,
    LipComponentStatus,
    LipStage,
    LipStageChange,
    MonitoringReturn,
    Offer,
    Payment,
    Region,
    ReturnStatus,
    Round,
    User,
)
from portfolio.money import money, money_compact
from portfolio.models.reporting import ADDITIONALITY_LABELS
from portfolio.models.statuses import COMPANY_SIZES
from portfolio.services import audit, lip
from portfolio.services.errors import DomainError

ZERO = Decimal("0.00")

# DOMAIN-FACTS.md §3a: no government default set exists; these are labelled illustrative.
DEFAULT_ADDITIONALITY = {"deadweight": Decimal("0.2000"), "leakage": Decimal("0.1000"),
                         "displacement": Decimal("0.2500"), "substitution": Decimal("0.0000"),
                         "multiplier": Decimal("1.00")}


# --- additionality settings -------------------------------------------------------------------------

@dataclass(frozen=True)
class Additionality:
    deadweight: Decimal
    leakage: Decimal
    displacement: Decimal
    substitution: Decimal
    multiplier: Decimal
    version: int | None  # None: the illustrative defaults, never saved
    saved_by: str | None = None
    saved_on: date | None = None

    @property
    def net_factor(self) -> Decimal:
        return ((1 - self.deadweight) * (1 - self.leakage) * (1 - self.displacement) * (1 - self.substitution)
                * self.multiplier)

    def as_dict(self) -> dict:
        return {name: str(getattr(self, name)) for name in DEFAULT_ADDITIONALITY} | {"version": self.version}

    @property
    def description(self) -> str:
        rates = ", ".join(f"{ADDITIONALITY_LABELS[name].lower()} {getattr(self, name):.0%}"
                          for name in ("deadweight", "leakage", "displacement", "substitution"))
        source = (f"settings version {self.version}, saved by {self.saved_by} on {self.saved_on:%d %B %Y}"
                  if self.version else "the illustrative defaults (no settings saved)")
        return (f"{rates}, multiplier {self.multiplier:.2f}: net factor {self.net_factor:.4f}, from {source}")


def additionality(session: Session) -> Additionality:
    """The settings in force: the newest saved version, else the illustrative defaults."""
    row = session.scalar(sa.select(AdditionalitySettings).order_by(AdditionalitySettings.id.desc()).limit(1))
    if row is None:
        return Additionality(**DEFAULT_ADDITIONALITY, version=None)
    return Additionality(row.deadweight, row.leakage, row.displacement, row.substitution, row.multiplier,
                         version=row.id, saved_by=row.created_by.name if row.created_by else None,
                         saved_on=row.created_at.astimezone(UK).date())


def save_additionality(session: Session, *, by: User, **values: Decimal) -> AdditionalitySettings:
    """A new version; earlier reports keep stating the version they used."""
    for name in ("deadweight", "leakage", "displacement", "substitution"):
        if not Decimal(0) <= values[name] < Decimal(1):
            raise DomainError(f"{ADDITIONALITY_LABELS[name]} must be from 0% to 99.99%", field=name)
    if not Decimal("0.5") <= values["multiplier"] <= Decimal("5"):
        raise DomainError("The multiplier must be from 0.5 to 5", field="multiplier")
    before = additionality(session)
    row = AdditionalitySettings(created_by_id=by.id, **values)
    session.add(row)
    session.flush()
    audit.record(session, actor=by, action="additionality.changed", entity=row,
                 before=before.as_dict(), after={name: str(value) for name, value in values.items()})
    return row


def history(session: Session) -> list[AdditionalitySettings]:
    return list(session.scalars(sa.select(AdditionalitySettings).order_by(AdditionalitySettings.id.desc())))


# --- filters ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    programme: str | None = None  # a fund code, e.g. LSIMF
    round_id: int | None = None
    financial_year: str | None = None  # "2026/27": awards decided from 1 April 2026 to 31 March 2027
    region: Region | None = None
    cluster: Cluster | None = None
    company_size: str | None = None
    decided_before: datetime | None = None  # for figures "to date" at the end of a year (not a UI filter)

    def as_dict(self) -> dict:
        return {f.name: (getattr(self, f.name).value if hasattr(getattr(self, f.name), "value")
                         else getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) is not None and f.name != "decided_before"}

    @classmethod
    def from_dict(cls, data: dict) -> "Filters":
        return cls(programme=data.get("programme"), round_id=data.get("round_id"),
                   financial_year=data.get("financial_year"),
                   region=Region(data["region"]) if data.get("region") else None,
                   cluster=Cluster(data["cluster"]) if data.get("cluster") else None,
                   company_size=data.get("company_size"))


def describe(session: Session, filters: Filters) -> list[tuple[str, str]]:
    """The filters in words, for the page and the PDF: [("Region", "Scotland"), ...]."""
    words = []
    if filters.programme == LIP:
        words.append(("Programme", LIP_NAME))
    elif filters.programme:
        fund = session.scalar(sa.select(Fund).where(Fund.code == filters.programme))
        words.append(("Programme", fund.name if fund else filters.programme))
    if filters.round_id:
        round_ = session.get(Round, filters.round_id)
        words.append(("Round", round_.name if round_ else str(filters.round_id)))
    if filters.financial_year:
        words.append(("Financial year of the decision", filters.financial_year))
    if filters.region:
        words.append(("Region", filters.region.label))
    if filters.cluster:
        words.append(("Cluster", filters.cluster.label))
    if filters.company_size:
        words.append(("Company size", COMPANY_SIZES[filters.company_size]))
    return words


# --- the figures ----------------------------------------------------------------------------------------------

@dataclass
class Figures:
    """One line of the report: totals over a set of awards."""

    awards: int = 0
    grant_committed: Decimal = ZERO
    grant_paid: Decimal = ZERO
    total_project_cost: Decimal = ZERO
    private_contracted: Decimal = ZERO
    private_actual: Decimal = ZERO
    jobs_created_contracted: Decimal = Decimal("0.0")
    jobs_created_actual: Decimal = Decimal("0.0")
    jobs_safeguarded_contracted: Decimal = Decimal("0.0")
    jobs_safeguarded_actual: Decimal = Decimal("0.0")
    rd_spend: Decimal = ZERO
    collaborations: int = 0
    patents_filed: int = 0
    training_places: int = 0
    supply_chain_spend: Decimal = ZERO
    # As first offered (version 1 of each award's terms); equal to the figures above until a variation.
    awards_varied: int = 0
    grant_committed_first: Decimal = ZERO
    private_contracted_first: Decimal = ZERO
    jobs_created_contracted_first: Decimal = Decimal("0.0")
    jobs_safeguarded_contracted_first: Decimal = Decimal("0.0")
    net_factor: Decimal = field(default=Decimal(1), repr=False)

    def add(self, awards: int, sums: dict) -> None:
        self.awards += awards
        for name, value in sums.items():
            setattr(self, name, getattr(self, name) + value)

    @staticmethod
    def _ratio(top: Decimal, bottom: Decimal) -> Decimal | None:
        return (top / bottom).quantize(Decimal("0.01"), ROUND_HALF_UP) if bottom else None

    @staticmethod
    def _per(money: Decimal, jobs: Decimal) -> Decimal | None:
        return (money / jobs).quantize(Decimal("0.01"), ROUND_HALF_UP) if jobs else None

    @property
    def leverage_contracted(self) -> Decimal | None:
        return self._ratio(self.private_contracted, self.grant_committed)

    @property
    def leverage_contracted_first(self) -> Decimal | None:
        return self._ratio(self.private_contracted_first, self.grant_committed_first)

    @property
    def jobs_contracted_first(self) -> Decimal:
        return self.jobs_created_contracted_first + self.jobs_safeguarded_contracted_first

    @property
    def leverage_actual(self) -> Decimal | None:
        return self._ratio(self.private_actual, self.grant_paid)

    @property
    def project_cost_leverage(self) -> Decimal | None:
        return self._ratio(self.total_project_cost, self.grant_committed)

    @property
    def jobs_contracted(self) -> Decimal:
        return self.jobs_created_contracted + self.jobs_safeguarded_contracted

    @property
    def jobs_actual(self) -> Decimal:
        return self.jobs_created_actual + self.jobs_safeguarded_actual

    @property
    def cost_per_job_gross_contracted(self) -> Decimal | None:
        return self._per(self.grant_committed, self.jobs_contracted)

    @property
    def cost_per_job_net_contracted(self) -> Decimal | None:
        return self._per(self.grant_committed, self.jobs_contracted * self.net_factor)

    @property
    def cost_per_job_gross_actual(self) -> Decimal | None:
        return self._per(self.grant_paid, self.jobs_actual)

    @property
    def cost_per_job_net_actual(self) -> Decimal | None:
        return self._per(self.grant_paid, self.jobs_actual * self.net_factor)

    @property
    def net_jobs_contracted(self) -> Decimal:
        return (self.jobs_contracted * self.net_factor).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def net_jobs_actual(self) -> Decimal:
        return (self.jobs_actual * self.net_factor).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Report:
    filters: Filters
    settings: Additionality
    total: Figures
    by_region: dict[str, Figures]
    by_cluster: dict[str, Figures]
    by_year: dict[str, Figures]  # financial year of the decision, oldest first


SUMMED = ("grant_committed", "grant_paid", "total_project_cost", "private_contracted", "private_actual",
          "jobs_created_contracted", "jobs_created_actual", "jobs_safeguarded_contracted", "jobs_safeguarded_actual",
          "rd_spend", "collaborations", "patents_filed", "training_places", "supply_chain_spend",
          "awards_varied", "grant_committed_first", "private_contracted_first", "jobs_created_contracted_first",
          "jobs_safeguarded_contracted_first")
# The current figure each "as first offered" one stands beside (an award made before terms were versioned
# has no version 1: its first figures are its current ones).
FIRST_OF = {"grant_committed_first": "grant_committed", "private_contracted_first": "private_contracted",
            "jobs_created_contracted_first": "jobs_created_contracted",
            "jobs_safeguarded_contracted_first": "jobs_safeguarded_contracted"}


def _grouped(session: Session, filters: Filters):
    """Sums per region, cluster and financial year of the decision, over committed awards: one statement."""
    paid = (sa.select(Payment.award_id, sa.func.sum(Payment.amount).label("paid"))
            .group_by(Payment.award_id).subquery())
    verified = MonitoringReturn.status == ReturnStatus.VERIFIED
    latest = (sa.select(MonitoringReturn.award_id, sa.func.max(MonitoringReturn.number).label("number"))
              .where(verified).group_by(MonitoringReturn.award_id).subquery())
    last = aliased(MonitoringReturn)
    spill = (sa.select(MonitoringReturn.award_id,
                       sa.func.sum(MonitoringReturn.rd_spend).label("rd_spend"),
                       sa.func.sum(MonitoringReturn.collaborations).label("collaborations"),
                       sa.func.sum(MonitoringReturn.patents_filed).label("patents_filed"),
                       sa.func.sum(MonitoringReturn.training_places).label("training_places"),
                       sa.func.sum(MonitoringReturn.supply_chain_spend).label("supply_chain_spend"))
             .where(verified).group_by(MonitoringReturn.award_id).subquery())
    first = aliased(AwardTerms)
    versions = (sa.select(AwardTerms.award_id, sa.func.max(AwardTerms.version).label("latest"))
                .group_by(AwardTerms.award_id).subquery())
    year = financial_year_sql(Award.decided_at).label("financial_year")
    private_contracted = sa.func.coalesce(Offer.contracted_private_investment, Application.private_investment)
    values = {
        "grant_committed": Award.amount, "grant_paid": paid.c.paid,
        "total_project_cost": Application.total_project_cost,
        "private_contracted": private_contracted,
        "private_actual": last.private_investment,
        "jobs_created_contracted": Offer.jobs_created, "jobs_created_actual": last.jobs_created,
        "jobs_safeguarded_contracted": Offer.jobs_safeguarded, "jobs_safeguarded_actual": last.jobs_safeguarded,
        "rd_spend": spill.c.rd_spend, "collaborations": spill.c.collaborations,
        "patents_filed": spill.c.patents_filed, "training_places": spill.c.training_places,
        "supply_chain_spend": spill.c.supply_chain_spend,
        "awards_varied": sa.case((versions.c.latest > 1, 1), else_=0),
        # Version 1's contracted figures are fixed when the offer is issued: until then the current ones stand.
        "grant_committed_first": sa.func.coalesce(first.amount, Award.amount),
        "private_contracted_first": sa.func.coalesce(first.contracted_private_investment, private_contracted),
        "jobs_created_contracted_first": sa.func.coalesce(first.jobs_created, Offer.jobs_created),
        "jobs_safeguarded_contracted_first": sa.func.coalesce(first.jobs_safeguarded, Offer.jobs_safeguarded),
    }
    query = (
        sa.select(Application.region, Application.cluster, year, sa.func.count(Award.id).label("awards"),
                  *(sa.func.sum(sa.func.coalesce(column, 0)).label(name) for name, column in values.items()))
        .select_from(Award)
        .join(Application, Application.id == Award.application_id)
        .outerjoin(Offer, Offer.award_id == Award.id)
        .outerjoin(paid, paid.c.award_id == Award.id)
        .outerjoin(latest, latest.c.award_id == Award.id)
        .outerjoin(last, sa.and_(last.award_id == latest.c.award_id, last.number == latest.c.number))
        .outerjoin(spill, spill.c.award_id == Award.id)
        .outerjoin(first, sa.and_(first.award_id == Award.id, first.version == 1))
        .outerjoin(versions, versions.c.award_id == Award.id)
        .where(Award.status != AwardStatus.RELEASED)
        .group_by(Application.region, Application.cluster, year)
    )
    if filters.programme:
        query = query.join(Fund, Fund.id == Award.fund_id).where(Fund.code == filters.programme)
    if filters.round_id:
        query = query.where(Award.round_id == filters.round_id)
    if filters.financial_year:
        start, end = financial_year_bounds(filters.financial_year)
        query = query.where(Award.decided_at >= start, Award.decided_at < end)
    if filters.decided_before:
        query = query.where(Award.decided_at < filters.decided_before)
    if filters.region:
        query = query.where(Application.region == filters.region)
    if filters.cluster:
        query = query.where(Application.cluster == filters.cluster)
    if filters.company_size:
        query = query.where(Application.company_size == filters.company_size)
    return session.execute(query)


def _exact(name: str, value):
    """Database sums as exact values (SQLite hands some back as floats or ints)."""
    if name in ("collaborations", "patents_filed", "training_places", "awards_varied"):
        return int(value or 0)
    places = Decimal("0.1") if name.startswith("jobs_") else ZERO
    return Decimal(str(value or 0)).quantize(places)


# The Large Investment Portfolio as a programme: cases the UK has agreed (agreed, in delivery or closed).
LIP = "LIP"
LIP_NAME = "Life Sciences Large Investment Portfolio"
LIP_STAGES = (LipStage.AGREED, LipStage.DELIVERY, LipStage.CLOSED)


def _lip_groups(session: Session, filters: Filters) -> list[tuple]:
    """Agreed LIP cases as (region, cluster, financial year, count, sums), like _grouped's rows.

    Grant committed is the case's agreed public offer, less components that are LSIMF awards (those
    are counted with the LSIMF); private investment contracted is the total investment less all the
    agreed public money; jobs are the case's expected jobs. Cases have no verified actuals, payments
    or cluster, and no round or company size: those filters leave them out. The region is the first
    site's; the financial year is that in which the case was agreed."""
    if filters.programme not in (None, LIP) or filters.round_id or filters.cluster or filters.company_size:
        return []
    agreed_at = dict(session.execute(
        sa.select(LipStageChange.case_id, sa.func.max(LipStageChange.at))
        .where(LipStageChange.to_stage == LipStage.AGREED).group_by(LipStageChange.case_id)).all())
    cases = session.scalars(
        sa.select(LipCase).where(LipCase.stage.in_(LIP_STAGES))
        .options(selectinload(LipCase.sites), selectinload(LipCase.components).joinedload(LipComponent.award))
        .order_by(LipCase.id)).all()
    start, end = financial_year_bounds(filters.financial_year) if filters.financial_year else (None, None)
    groups = []
    for case in cases:
        when = agreed_at.get(case.id, case.stage_entered_at)
        region = case.sites[0].region if case.sites else None
        if ((start and not start <= when < end) or (filters.decided_before and when >= filters.decided_before)
                or (filters.region and region != filters.region)):
            continue
        offer = lip.package(case)
        own = sum((lip.component_amount(c) or ZERO for c in case.components
                   if c.award_id is None and lip.component_status(c) is LipComponentStatus.AGREED), ZERO)
        sums = dict.fromkeys(SUMMED, ZERO) | {
            "collaborations": 0, "patents_filed": 0, "training_places": 0,
            "jobs_created_actual": Decimal("0.0"), "jobs_safeguarded_actual": Decimal("0.0"),
            "grant_committed": own, "total_project_cost": case.total_investment,
            "private_contracted": case.total_investment - offer.agreed,
            "jobs_created_contracted": case.expected_jobs_created,
            "jobs_safeguarded_contracted": case.expected_jobs_safeguarded, "awards_varied": 0}
        sums |= {name: sums[current] for name, current in FIRST_OF.items()}  # cases are not varied
        groups.append((region, None, financial_year_of(when), 1, sums))
    return groups


def report(session: Session, filters: Filters | None = None) -> Report:
    filters = filters or Filters()
    settings = additionality(session)

    def figures() -> Figures:
        return Figures(net_factor=settings.net_factor)

    total, by_region, by_cluster, by_year = figures(), defaultdict(figures), defaultdict(figures), defaultdict(figures)
    rows = [] if filters.programme == LIP else [
        (row.region, row.cluster, row.financial_year, row.awards,
         {name: _exact(name, getattr(row, name)) for name in SUMMED}) for row in _grouped(session, filters)]
    for region, cluster, year, count, sums in rows + _lip_groups(session, filters):
        for figures_ in (total, by_region[Region(region).label if region else "Not recorded"],
                         by_cluster[Cluster(cluster).label if cluster else "Not recorded"], by_year[year]):
            figures_.add(count, sums)
    return Report(filters, settings, total, dict(sorted(by_region.items())), dict(sorted(by_cluster.items())),
                  dict(sorted(by_year.items())))


# --- the chart ------------------------------------------------------------------------------------------------

def chart(by_year: dict[str, Figures]) -> charts.BarChart:
    """Grant committed and private investment contracted per financial year of the decision."""
    return charts.bar_chart(
        title="Grant committed and private investment contracted, by financial year of the decision",
        category_name="Financial year", categories=list(by_year), empty="No awards.", tick_label=money_compact,
        series=[charts.Series("Grant committed", [f.grant_committed for f in by_year.values()], charts.GOVUK_BLUE,
                              show=money, describe=lambda value: f"grant {money(value)}"),
                charts.Series("Private investment contracted", [f.private_contracted for f in by_year.values()],
                              charts.GOVUK_GREEN, show=money,
                              describe=lambda value: f"private investment {money(value)}")])


# --- tables for downloads --------------------------------------------------------------------------------------

COLUMNS = (
    ("Awards", "awards"), ("Grant committed (£)", "grant_committed"), ("Grant paid (£)", "grant_paid"),
    ("Total project cost (£)", "total_project_cost"),
    ("Private investment contracted (£)", "private_contracted"),
    ("Private investment actual (£)", "private_actual"),
    ("Leverage contracted (private £ per £1 grant)", "leverage_contracted"),
    ("Leverage actual (private £ per £1 paid)", "leverage_actual"),
    ("Project cost per £1 grant", "project_cost_leverage"),
    ("Jobs created contracted (FTE)", "jobs_created_contracted"), ("Jobs created actual (FTE)", "jobs_created_actual"),
    ("Jobs safeguarded contracted (FTE)", "jobs_safeguarded_contracted"),
    ("Jobs safeguarded actual (FTE)", "jobs_safeguarded_actual"),
    ("Net jobs contracted (FTE)", "net_jobs_contracted"), ("Net jobs actual (FTE)", "net_jobs_actual"),
    ("Cost per job gross, contracted (£)", "cost_per_job_gross_contracted"),
    ("Cost per job net, contracted (£)", "cost_per_job_net_contracted"),
    ("Cost per job gross, actual (£)", "cost_per_job_gross_actual"),
    ("Cost per job net, actual (£)", "cost_per_job_net_actual"),
    ("R&D spend (£)", "rd_spend"), ("Collaborations", "collaborations"), ("Patents filed", "patents_filed"),
    ("Training places", "training_places"), ("UK supply-chain spend (£)", "supply_chain_spend"),
    # Last, so the columns above stay where spreadsheets built on this export expect them.
    ("Awards varied", "awards_varied"),
    ("Grant committed, as first offered (£)", "grant_committed_first"),
    ("Private investment contracted, as first offered (£)", "private_contracted_first"),
    ("Leverage contracted, as first offered (private £ per £1 grant)", "leverage_contracted_first"),
    ("Jobs created contracted, as first offered (FTE)", "jobs_created_contracted_first"),
    ("Jobs safeguarded contracted, as first offered (FTE)", "jobs_safeguarded_contracted_first"),
)
AS_VARIED = ("Grant and contracted figures are as varied: each award's current terms. The \"as first offered\" "
             "columns give its terms as first offered (version 1), before any variation.")


def table(result: Report) -> Iterable[list]:
    """The report as rows: a header, the total, then each breakdown (for CSV and XLSX)."""
    yield ["Breakdown", "Group", *(label for label, _ in COLUMNS)]
    groups = [("All", {"Total": result.total}), ("Region", result.by_region), ("Cluster", result.by_cluster),
              ("Financial year", result.by_year)]
    for breakdown, figures_by_group in groups:
        for group, figures in figures_by_group.items():
            yield [breakdown, group, *(getattr(figures, name) for _, name in COLUMNS)]


def programme_choices(session: Session) -> list[tuple[str, str]]:
    """The report's programme filter: each fund, and the Large Investment Portfolio."""
    return [*session.execute(sa.select(Fund.code, Fund.name).order_by(Fund.code)).all(), (LIP, LIP_NAME)]


def round_choices(session: Session) -> list[tuple[int, str]]:
    return list(session.execute(sa.select(Round.id, Fund.code + " " + Round.name).join(Fund)
                                .order_by(Fund.code, Round.opens_on)).all())
