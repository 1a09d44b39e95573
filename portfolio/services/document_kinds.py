"""Every kind of PDF the service makes: the record it is made from, and how it is rendered.

Who may read a document is who may read its record (portfolio.services.policy), so registering a
kind here with its record type is all a new PDF needs for its access rule.
"""

from sqlalchemy.orm import Session

from portfolio.dates import uk_today
from portfolio.models import (
    Application,
    Award,
    Document,
    DocumentKind,
    LipCase,
    MonitoringReturn,
    Offer,
    Organisation,
    Partnership,
    ScaleupCompany,
    Variation,
)
from portfolio.models.base import utcnow
from portfolio.models.monitoring import FIGURES
from portfolio.models.records import Report
from portfolio.pdf import render_pdf
from portfolio.references import reference
from portfolio.services import (
    applications,
    claims,
    implementation_update,
    leverage,
    lip,
    monitoring,
    offers,
    partnerships,
    scaleups,
    variations,
)
from portfolio.services.documents import register_kind


def organisation_summary(session: Session, organisation: Organisation, document: Document) -> tuple[str, bytes]:
    pdf = render_pdf("pdf/organisation_summary.html", organisation=organisation, document=document,
                     generated_at=utcnow())
    return f"organisation-summary-{organisation.company_number}.pdf", pdf


def application_summary(session: Session, application: Application, document: Document) -> tuple[str, bytes]:
    pdf = render_pdf(
        "pdf/application_summary.html", application=application, document=document, generated_at=utcnow(),
        sections=applications.SECTIONS, totals=applications.totals(application.cost_items),
        answers={s.key: applications.answers(application, s.key) for s in applications.SECTIONS},
        rate=applications.intervention_rate(application.grant_requested, application.total_project_cost),
        documents=applications.documents(session, application), profile=applications.profile_summary(application),
    )
    return f"{reference(application)}-v{application.version_number}-summary.pdf", pdf


def grant_offer_letter(session: Session, offer: Offer, document: Document) -> tuple[str, bytes]:
    application = offer.award.application
    pdf = render_pdf("pdf/grant_offer_letter.html", application=application, award=offer.award, offer=offer,
                     decision=application.decision, agreed=offers.agreed_profile(offer), generated_at=utcnow())
    return f"{reference(offer)}-grant-offer-letter.pdf", pdf


def monitoring_return(session: Session, monitoring_return: MonitoringReturn, document: Document
                      ) -> tuple[str, bytes]:
    award = monitoring_return.award
    pdf = render_pdf("pdf/monitoring_return.html", monitoring_return=monitoring_return, award=award,
                     figures=FIGURES, labels=monitoring.LABELS, contracted=monitoring.contracted(award),
                     show=monitoring.show_figure, generated_at=utcnow())
    return (f"{reference(award)}-return-{monitoring_return.number}-"
            f"{monitoring_return.period_end:%Y-%m-%d}.pdf"), pdf


def claim_statement(session: Session, award: Award, document: Document) -> tuple[str, bytes]:
    pdf = render_pdf("pdf/claim_statement.html", award=award, claims_=claims.claims_of(session, award),
                     payments=claims.payments_of(session, award), position=claims.position(session, award),
                     rate=claims.grant_rate(award), retention_rate=award.application.rules_in_force.retention_rate,
                     generated_at=utcnow())
    return f"{reference(award)}-claim-statement.pdf", pdf


def leverage_report(session: Session, report: Report, document: Document) -> tuple[str, bytes]:
    filters = leverage.Filters.from_dict(document.parameters or {})
    result = leverage.report(session, filters)
    pdf = render_pdf("pdf/leverage_report.html", report=result, chart=leverage.chart(result.by_year),
                     columns=leverage.COLUMNS, filter_labels=leverage.describe(session, filters),
                     generated_at=utcnow())
    return f"leverage-report-{utcnow():%Y-%m-%d}.pdf", pdf


def implementation_update_pdf(session: Session, report: Report, document: Document) -> tuple[str, bytes]:
    year = (document.parameters or {})["financial_year"]
    update = implementation_update.build(session, year)
    pdf = render_pdf("pdf/implementation_update.html", update=update, annex=implementation_update.ANNEX_A,
                     generated_at=utcnow())
    return f"implementation-update-{year.replace('/', '-')}.pdf", pdf


def lip_case_summary(session: Session, case: LipCase, document: Document) -> tuple[str, bytes]:
    pdf = render_pdf("pdf/lip_case_summary.html", case=case, offer=lip.package(case),
                     component_amount=lip.component_amount, component_status=lip.component_status,
                     days_in_stage=lip.days_in_stage(case), problems=lip.approval_problems(session, case),
                     subsidy_required=lip.subsidy_required(case), generated_at=utcnow())
    return f"{case.reference}-case-summary.pdf", pdf


def partnership_report(session: Session, partnership: Partnership, document: Document) -> tuple[str, bytes]:
    pdf = render_pdf("pdf/partnership_report.html", partnership=partnership, today=uk_today(),
                     rag=partnerships.rag, derived_rag=partnerships.derived_rag, expected=partnerships.expected,
                     latest=partnerships.latest_value, secured=partnerships.investment_secured(partnership),
                     committed=partnerships.investment_committed(partnership), generated_at=utcnow())
    return f"{partnership.reference}-partnership-report.pdf", pdf


def scaleup_profile(session: Session, company: ScaleupCompany, document: Document) -> tuple[str, bytes]:
    pdf = render_pdf("pdf/scaleup_profile.html", company=company, snapshots=scaleups.confirmed(company),
                     latest=scaleups.latest(company), generated_at=utcnow())
    return f"{company.reference}-company-profile.pdf", pdf


def amendment_letter(session: Session, variation: Variation, document: Document) -> tuple[str, bytes]:
    """The old and new terms side by side, and the grant profile by year before and after."""
    award = variation.award
    pdf = render_pdf("pdf/amendment_letter.html", variation=variation, award=award, application=award.application,
                     rows=variations.side_by_side(variation), changes=variations.changes(variation),
                     profile=variations.profile_changes(variation), generated_at=utcnow())
    return f"{variation.reference}-amendment-letter.pdf", pdf


register_kind(DocumentKind.ORGANISATION_SUMMARY, Organisation, organisation_summary)
register_kind(DocumentKind.APPLICATION_SUMMARY, Application, application_summary)
register_kind(DocumentKind.GRANT_OFFER_LETTER, Offer, grant_offer_letter)
register_kind(DocumentKind.MONITORING_RETURN, MonitoringReturn, monitoring_return)
register_kind(DocumentKind.CLAIM_STATEMENT, Award, claim_statement)
register_kind(DocumentKind.LEVERAGE_REPORT, Report, leverage_report)
register_kind(DocumentKind.IMPLEMENTATION_UPDATE, Report, implementation_update_pdf)
register_kind(DocumentKind.LIP_CASE_SUMMARY, LipCase, lip_case_summary)
register_kind(DocumentKind.PARTNERSHIP_REPORT, Partnership, partnership_report)
register_kind(DocumentKind.SCALEUP_PROFILE, ScaleupCompany, scaleup_profile)
register_kind(DocumentKind.AMENDMENT_LETTER, Variation, amendment_letter)
