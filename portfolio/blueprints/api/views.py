"""GET-only endpoints of /api/v1. Each declares its token scope (portfolio.access.token_scope) and
its OpenAPI operation (openapi.operation); lists are paginated and ordered by id, and every query
loads what the schema needs up front, so a page costs the same few statements however long it is."""

import math
import re
from dataclasses import dataclass
from enum import Enum

from flask import abort, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from portfolio.access import token_scope
from portfolio.blueprints.api import bp, openapi
from portfolio.blueprints.api.openapi import MAX_PAGE, MAX_PER_PAGE, PER_PAGE, Filter, operation
from portfolio.blueprints.api.schemas import (
    AnnexASchema,
    ApplicationSchema,
    AwardSchema,
    BudgetSchema,
    BudgetVersionSchema,
    ClaimDetailSchema,
    ClaimSchema,
    ForecastSchema,
    LeverageGroupSchema,
    LeverageSchema,
    LipCaseSchema,
    MonitoringReturnSchema,
    OrganisationSchema,
    PaymentSchema,
    ProfileSchema,
    TermsVersionSchema,
    VariationSchema,
)
from portfolio.dates import EARLIEST_YEAR, financial_year_label, financial_year_of, uk_today
from portfolio.extensions import db
from portfolio.models import (
    ApplicationStatus,
    AwardStatus,
    ClaimStatus,
    Cluster,
    Forecast,
    LipStage,
    Region,
    ReturnStatus,
    VariationKind,
    VariationStatus,
)
from portfolio.services import api_reads, award_terms, budgets, leverage, lip, partnerships, profiles, scaleups
from portfolio.services.api_reads import APPLICATIONS, AWARDS, CASES, CLAIMS, ORGANISATIONS, PAYMENTS, RETURNS

_WHOLE = re.compile(r"^[0-9]{1,9}$")

BY_ORGANISATION = Filter("organisation_id", "Only those of this organisation")
BY_AWARD = Filter("award_id", "Only those of this award")


# --- errors: always JSON ------------------------------------------------------------------------

@bp.errorhandler(HTTPException)
@bp.errorhandler(500)  # the app's own 500 page would otherwise win over the class handler
def json_error(error: HTTPException):
    response = jsonify(error=error.name, status=error.code, message=error.description)
    response.status_code = error.code or 500
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


@bp.after_request
def not_cached(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# --- helpers ------------------------------------------------------------------------------------

def _whole_number(name: str, *, default: int, maximum: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    if not _WHOLE.match(text) or not 1 <= int(text) <= maximum:
        abort(400, description=f"{name} must be a whole number from 1 to {maximum}")
    return int(text)


def _paged(resource: api_reads.Resource, schema, *, filters: tuple[Filter, ...] = (), wrap=None, wrap_page=None,
           fixed: dict | None = None):
    """One page of the resource's rows, by id, in the list envelope. `fixed`: columns the path fixes (an
    award's terms); `wrap` shapes each row for the schema, `wrap_page` the whole page at once."""
    page = _whole_number("page", default=1, maximum=MAX_PAGE)
    per_page = _whole_number("per_page", default=PER_PAGE, maximum=MAX_PER_PAGE)
    equal, given, where = dict(fixed or {}), {}, []
    for item in filters:
        value = item.value(request.args.get(item.name))
        if value is not None:
            if isinstance(item, ConditionFilter):
                where.append(item.condition(value))
            else:
                equal[item.name] = value
            given[item.name] = request.args[item.name]
    rows, total = api_reads.page(db.session, resource, equal=equal, number=page, per_page=per_page,
                                 where=tuple(where))
    pages = math.ceil(total / per_page)

    def link(number: int) -> str:
        return url_for(request.endpoint, **request.view_args, page=number, per_page=per_page, **given)

    if wrap_page:
        rows = wrap_page(rows)
    elif wrap:
        rows = [wrap(row) for row in rows]
    return jsonify(
        data=schema.dump(rows, many=True),
        meta={"page": page, "per_page": per_page, "total": total, "pages": pages},
        links={"self": link(page), "next": link(page + 1) if page < pages else None,
               "prev": link(page - 1) if page > 1 else None},
    )


def _found(resource: api_reads.Resource, noun: str, id_: int):
    found = api_reads.one(db.session, resource, id_)
    if found is None:
        abort(404, description=f"There is no {noun} {id_}")
    return found


def _one(resource: api_reads.Resource, schema, noun: str, id_: int, wrap=None):
    found = _found(resource, noun, id_)
    return jsonify(data=schema.dump(wrap(found) if wrap else found))


@dataclass(frozen=True)
class ConditionFilter(Filter):
    """A query parameter that is not a column's value: `condition` turns its value into a WHERE clause."""

    condition: object = None  # Callable[[value], clause]


class _With:
    """A record with more values for its schema (worked out from the record, like a profile by year)."""

    def __init__(self, record, **more) -> None:
        self._record = record
        self.__dict__.update(more)

    def __getattr__(self, name):
        return getattr(self._record, name)


# --- organisations ------------------------------------------------------------------------------

organisation_schema = OrganisationSchema()


@bp.get("/organisations")
@token_scope("organisations:read")
@operation("Organisations", "List organisations", OrganisationSchema, many=True)
def organisations():
    return _paged(ORGANISATIONS, organisation_schema)


@bp.get("/organisations/<int:organisation_id>")
@token_scope("organisations:read")
@operation("Organisations", "An organisation", OrganisationSchema)
def organisation(organisation_id: int):
    return _one(ORGANISATIONS, organisation_schema, "organisation", organisation_id)


# --- applications -------------------------------------------------------------------------------

application_schema = ApplicationSchema()
APPLICATION_STATUS = Filter("status", "Only applications in this status", enum=ApplicationStatus,
                            exclude=(ApplicationStatus.DRAFT,))


@bp.get("/applications")
@token_scope("applications:read")
@operation("Applications", "List submitted applications", ApplicationSchema, many=True,
           filters=(BY_ORGANISATION, APPLICATION_STATUS),
           description="Applications the company has submitted (drafts are not shown).")
def applications():
    return _paged(APPLICATIONS, application_schema, filters=(BY_ORGANISATION, APPLICATION_STATUS))


@bp.get("/applications/<int:application_id>")
@token_scope("applications:read")
@operation("Applications", "A submitted application", ApplicationSchema)
def application(application_id: int):
    return _one(APPLICATIONS, application_schema, "submitted application", application_id)


# --- awards -------------------------------------------------------------------------------------

award_schema = AwardSchema()
AWARD_STATUS = Filter("status", "Only awards in this status", enum=AwardStatus)


@bp.get("/awards")
@token_scope("awards:read")
@operation("Awards", "List awards", AwardSchema, many=True, filters=(BY_ORGANISATION, AWARD_STATUS),
           description="Each award with its grant offer (null until one is issued).")
def awards():
    return _paged(AWARDS, award_schema, filters=(BY_ORGANISATION, AWARD_STATUS))


@bp.get("/awards/<int:award_id>")
@token_scope("awards:read")
@operation("Awards", "An award", AwardSchema)
def award(award_id: int):
    return _one(AWARDS, award_schema, "award", award_id)


# --- claims and payments ------------------------------------------------------------------------

claim_schema = ClaimSchema()
claim_detail_schema = ClaimDetailSchema()
CLAIM_STATUS = Filter("status", "Only claims in this status", enum=ClaimStatus, exclude=(ClaimStatus.DRAFT,))


@bp.get("/claims")
@token_scope("claims:read")
@operation("Claims and payments", "List submitted claims", ClaimSchema, many=True,
           filters=(BY_AWARD, CLAIM_STATUS),
           description="Claims the company has submitted (drafts are not shown). `claimed` totals the costs; "
                       "the costs themselves are on each claim.")
def claims():
    return _paged(CLAIMS, claim_schema, filters=(BY_AWARD, CLAIM_STATUS))


@bp.get("/claims/<int:claim_id>")
@token_scope("claims:read")
@operation("Claims and payments", "A submitted claim, with its costs", ClaimDetailSchema)
def claim(claim_id: int):
    return _one(CLAIMS, claim_detail_schema, "submitted claim", claim_id)


payment_schema = PaymentSchema()


@bp.get("/payments")
@token_scope("claims:read")
@operation("Claims and payments", "List payments", PaymentSchema, many=True, filters=(BY_AWARD,))
def payments():
    return _paged(PAYMENTS, payment_schema, filters=(BY_AWARD,))


# --- monitoring returns -------------------------------------------------------------------------

return_schema = MonitoringReturnSchema()
RETURN_STATUS = Filter("status", "Only returns in this status", enum=ReturnStatus)


@bp.get("/returns")
@token_scope("returns:read")
@operation("Monitoring returns", "List monitoring returns", MonitoringReturnSchema, many=True,
           filters=(BY_AWARD, RETURN_STATUS),
           description="Every scheduled return. Figures, RAG and narrative are shown once the company has "
                       "submitted the return.")
def returns():
    return _paged(RETURNS, return_schema, filters=(BY_AWARD, RETURN_STATUS))


@bp.get("/returns/<int:return_id>")
@token_scope("returns:read")
@operation("Monitoring returns", "A monitoring return", MonitoringReturnSchema)
def monitoring_return(return_id: int):
    return _one(RETURNS, return_schema, "monitoring return", return_id)


# --- Large Investment Portfolio cases -----------------------------------------------------------

class _CaseView:
    """A case with its package worked out, for the schema (portfolio.services.lip.package)."""

    def __init__(self, case) -> None:
        self._case, self.package = case, lip.package(case)

    def __getattr__(self, name):
        return getattr(self._case, name)


case_schema = LipCaseSchema()
CASE_STAGE = Filter("stage", "Only cases at this stage", enum=LipStage)


@bp.get("/cases")
@token_scope("cases:read")
@operation("Large investment cases", "List Large Investment Portfolio cases", LipCaseSchema, many=True,
           filters=(BY_ORGANISATION, CASE_STAGE),
           description="Headline figures of each case; the negotiation itself stays in Portfolio.")
def cases():
    return _paged(CASES, case_schema, filters=(BY_ORGANISATION, CASE_STAGE), wrap=_CaseView)


@bp.get("/cases/<int:case_id>")
@token_scope("cases:read")
@operation("Large investment cases", "A Large Investment Portfolio case", LipCaseSchema)
def case(case_id: int):
    return _one(CASES, case_schema, "case", case_id, wrap=_CaseView)


# --- money over time: grant profiles and the versions of an award's terms ----------------------

BY_FUND = Filter("fund_id", "Only those of this fund")
profile_schema = ProfileSchema()
terms_schema = TermsVersionSchema()


def _profile(award):
    terms = award.current_terms
    return {"award_id": award.id, "terms_version": terms.version, "amount": terms.amount,
            "project_start": terms.project_start, "project_completion": terms.project_completion,
            **api_reads.quarters_and_years(award_terms.profile_of(terms))}


@bp.get("/profiles")
@token_scope("profiles:read")
@operation("Grant profiles and terms", "List awards' agreed grant profiles", ProfileSchema, many=True,
           filters=(BY_ORGANISATION, BY_FUND),
           description="Each award's agreed grant profile by quarter and by financial year: that of the latest "
                       "version of its terms (`terms_version`). Listed by award id.")
def grant_profiles():
    return _paged(api_reads.PROFILES, profile_schema, filters=(BY_ORGANISATION, BY_FUND), wrap=_profile)


@bp.get("/profiles/<int:award_id>")
@token_scope("profiles:read")
@operation("Grant profiles and terms", "An award's agreed grant profile", ProfileSchema)
def grant_profile(award_id: int):
    return _one(api_reads.PROFILES, profile_schema, "award", award_id, wrap=_profile)


@bp.get("/awards/<int:award_id>/terms")
@token_scope("profiles:read")
@operation("Grant profiles and terms", "Every version of an award's terms", TermsVersionSchema, many=True,
           description="Version 1 is the award as first offered; each accepted variation adds the next, with what "
                       "it changed. Every version keeps its agreed profile.")
def award_terms_versions(award_id: int):
    versions = _found(api_reads.PROFILES, "award", award_id).terms_versions
    latest = versions[-1].version

    def shaped(terms):
        return _With(terms, current=terms.version == latest, changes=api_reads.version_changes(terms, versions),
                     **api_reads.quarters_and_years(award_terms.profile_of(terms)))

    return _paged(api_reads.TERMS, terms_schema, fixed={"award_id": award_id}, wrap=shaped)


# --- forecasts ----------------------------------------------------------------------------------

forecast_schema = ForecastSchema()
Latest = Enum("Latest", {"TRUE": "true", "FALSE": "false"})
LATEST = ConditionFilter(
    "latest", "`true`: only each award's latest forecast (the one that counts); `false`: only earlier ones",
    enum=Latest, condition=lambda value: (Forecast.id.in_(api_reads.latest_forecast_ids()) if value is Latest.TRUE
                                          else Forecast.id.not_in(api_reads.latest_forecast_ids())))


def _forecasts(rows: list) -> list:
    latest = api_reads.latest_forecasts_among(db.session, rows)
    return [_With(forecast, made_with_claim=forecast.claim_id is not None, latest=forecast.id in latest,
                  **api_reads.quarters_and_years(profiles.of_lines(forecast.lines))) for forecast in rows]


@bp.get("/forecasts")
@token_scope("forecasts:read")
@operation("Forecasts", "List forecasts", ForecastSchema, many=True, filters=(BY_AWARD, LATEST),
           description="Every forecast a company has made of the grant it will claim, by quarter: with a claim "
                       "or between claims. The latest of an award's forecasts counts (`latest`); the earlier "
                       "ones are its history.")
def forecasts():
    return _paged(api_reads.FORECASTS, forecast_schema, filters=(BY_AWARD, LATEST), wrap_page=_forecasts)


@bp.get("/forecasts/<int:forecast_id>")
@token_scope("forecasts:read")
@operation("Forecasts", "A forecast", ForecastSchema)
def forecast(forecast_id: int):
    return _one(api_reads.FORECASTS, forecast_schema, "forecast", forecast_id,
                wrap=lambda found: _forecasts([found])[0])


# --- variations ---------------------------------------------------------------------------------

variation_schema = VariationSchema()
VARIATION_FILTERS = (BY_AWARD, Filter("status", "Only variations in this status", enum=VariationStatus),
                     Filter("kind", "Only variations of this kind", enum=VariationKind))


def _variation(variation):
    return _With(variation, changes=api_reads.variation_changes(variation),
                 terms_version=api_reads.terms_version_of(variation))


@bp.get("/variations")
@token_scope("variations:read")
@operation("Variations", "List variations to awards", VariationSchema, many=True, filters=VARIATION_FILTERS,
           description="Each requested change to an accepted award: its kind, status, dates, reasons and decision, "
                       "and what it changes (before and after).")
def variations():
    return _paged(api_reads.VARIATIONS, variation_schema, filters=VARIATION_FILTERS, wrap=_variation)


@bp.get("/variations/<int:variation_id>")
@token_scope("variations:read")
@operation("Variations", "A variation", VariationSchema)
def variation(variation_id: int):
    return _one(api_reads.VARIATIONS, variation_schema, "variation", variation_id, wrap=_variation)


# --- the fund's budget by financial year ----------------------------------------------------------

budget_schema = BudgetSchema()
budget_version_schema = BudgetVersionSchema()


def _ledger_year(row: budgets.YearRow) -> dict:
    return {"financial_year": row.year, "budget": row.budget, "committed": row.committed, "forecast": row.forecast,
            "paid": row.paid, "headroom": row.headroom, "warning": row.warning}


def _budget(fund) -> dict:
    ledger = budgets.year_ledger(db.session, fund)
    return {"fund_id": fund.id, "fund_code": fund.code, "fund_name": fund.name,
            "by_year_budget_set": ledger.by_year_budget_set, "budget_variance_rate": fund.rules.budget_variance_rate,
            "budget_version_id": fund.budget_versions[0].id if fund.budget_versions else None,
            "not_profiled": ledger.not_profiled, "years": [_ledger_year(row) for row in ledger.years],
            "totals": _ledger_year(ledger.totals)}


@bp.get("/budgets")
@token_scope("budget:read")
@operation("Budgets", "List funds' budgets by financial year, with their ledgers", BudgetSchema, many=True,
           description="For each fund, per financial year and in total: budget, committed (agreed profiles of "
                       "approved, offered and accepted awards), forecast, paid and headroom, with a warning where "
                       "the forecast misses the budget by more than the fund's setting. Listed by fund id.")
def fund_budgets():
    return _paged(api_reads.FUNDS, budget_schema, wrap=_budget)


@bp.get("/budgets/<int:fund_id>")
@token_scope("budget:read")
@operation("Budgets", "A fund's budget by financial year, with its ledger", BudgetSchema)
def fund_budget(fund_id: int):
    return _one(api_reads.FUNDS, budget_schema, "fund", fund_id, wrap=_budget)


@bp.get("/budgets/<int:fund_id>/versions")
@token_scope("budget:read")
@operation("Budgets", "Every version of a fund's budget by financial year", BudgetVersionSchema, many=True,
           description="A change to the budget adds a version; none is ever edited. Oldest first.")
def fund_budget_versions(fund_id: int):
    _found(api_reads.FUNDS, "fund", fund_id)
    return _paged(api_reads.BUDGET_VERSIONS, budget_version_schema, fixed={"fund_id": fund_id})


# --- leverage figures ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TextFilter(Filter):
    """A query parameter matched by a regular expression (a fund code, a financial year)."""

    pattern: str = ""

    def value(self, text: str | None):
        if text is None:
            return None
        if not re.fullmatch(self.pattern, text):
            abort(400, description=f"{self.name}: {self.description.lower()}")
        return text

    def parameter(self) -> dict:
        return {"name": self.name, "in": "query", "required": False, "description": self.description,
                "schema": {"type": "string", "pattern": f"^{self.pattern}$"}}


CompanySize = Enum("CompanySize", {key.upper(): key for key in leverage.COMPANY_SIZES})
FinancialYear = Enum("FinancialYear", {f"FY{year}": financial_year_label(year)
                                      for year in range(EARLIEST_YEAR, 2051)})
LEVERAGE_FILTERS = (
    TextFilter("programme", "A programme's code, like LSIMF", pattern="[A-Z]{2,16}"),
    Filter("round_id", "Only awards of this round"),
    Filter("financial_year", "The financial year of the decision (April to March), like 2026/27",
           enum=FinancialYear),
    Filter("region", "Only projects in this ITL1 region", enum=Region),
    Filter("cluster", "Only projects in this cluster", enum=Cluster),
    Filter("company_size", "Only companies of this size", enum=CompanySize),
)
leverage_schema = LeverageSchema()


@bp.get("/leverage")
@token_scope("leverage:read")
@operation("Leverage", "What the public money levered, with breakdowns", LeverageSchema, filters=LEVERAGE_FILTERS,
           description="The figures of the leverage report (/reports/leverage), over committed awards. Net "
                       "figures use the additionality settings in `settings`.")
def leverage_figures():
    given = {item.name: item.value(request.args.get(item.name)) for item in LEVERAGE_FILTERS}
    given = {name: value.value if isinstance(value, Enum) else value for name, value in given.items()
             if value is not None}
    filters = leverage.Filters.from_dict(given)
    result = leverage.report(db.session, filters)
    settings = result.settings
    data = {
        "filters": given,
        "settings": {**{name: getattr(settings, name) for name in leverage.DEFAULT_ADDITIONALITY},
                     "net_factor": settings.net_factor, "version": settings.version,
                     "description": settings.description},
        "total": result.total,
        **{key: [{"group": group, **{name: getattr(figures, name) for name in LeverageGroupSchema().fields
                                     if name != "group"}} for group, figures in groups.items()]
           for key, groups in (("by_region", result.by_region), ("by_cluster", result.by_cluster),
                               ("by_financial_year", result.by_year))},
    }
    return jsonify(data=leverage_schema.dump(data))


# --- Annex A: Actions 22 and 23 -----------------------------------------------------------------

annex_a_schema = AnnexASchema()
ANNEX_A_FILTERS = (Filter("financial_year", "The financial year (April to March), like 2026/27; the current one "
                                            "when left out", enum=FinancialYear),)


@bp.get("/annex-a")
@token_scope("annex_a:read")
@operation("Annex A", "Sector Plan Annex A figures for Actions 22 and 23", AnnexASchema, filters=ANNEX_A_FILTERS,
           description="Strategic partnerships (number and value) and the scale-up company service (FTSE 350 "
                       "listings, IPOs and amount raised, people employed by cohort SMEs) for a financial year.")
def annex_a():
    chosen = ANNEX_A_FILTERS[0].value(request.args.get("financial_year"))
    year = chosen.value if chosen is not None else financial_year_of(uk_today())
    return jsonify(data=annex_a_schema.dump({"financial_year": year,
                                             "action_22": partnerships.action_22(db.session, year),
                                             "action_23": scaleups.action_23(db.session, year)}))


# --- the OpenAPI document -----------------------------------------------------------------------

@bp.get("/openapi.json")
@token_scope(None)
@operation("Documentation", "This API's OpenAPI 3 document", None,
           description="Readable with any valid token, whatever its scopes.")
def openapi_document():
    return jsonify(openapi.document())
