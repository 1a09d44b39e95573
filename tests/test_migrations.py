"""The schema comes from Alembic migrations, and they match the models exactly."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portfolio.extensions import db
from portfolio import create_app


def test_migrations_build_every_table(app):
    tables = set(sa.inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_models_and_migrations_do_not_drift(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"models differ from migrations; run `flask db migrate`: {differences}"


def test_drift_is_detected(app):
    """The check above can fail: a column the migrations never made is reported."""
    metadata = sa.MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(metadata)
    sa.Table("organisations", metadata, sa.Column("not_migrated", sa.Integer), extend_existing=True)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert any(diff[0] == "add_column" and diff[3].name == "not_migrated" for diff in differences)


def test_flask_db_check_reports_no_drift(app):
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_documents_made_before_0012_name_their_record(tmp_path, app_config):
    """Migration 0012 turns the ids documents kept on the row or inside `parameters` into a typed
    reference to their record, and decisions' outcome into a status, without losing a row."""
    from flask_migrate import upgrade

    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}",
                      "SQLALCHEMY_MIGRATION_URI": None})
    with app.app_context():
        upgrade(revision="0011")
        with db.engine.begin() as connection:
            run = lambda sql: connection.execute(sa.text(sql))  # noqa: E731
            run("INSERT INTO organisations (id, name, company_number, postcode, region, created_at) "
                "VALUES (7, 'Old Co', '00000007', 'LS2 9JT', 'TLE', CURRENT_TIMESTAMP)")
            run("INSERT INTO users (id, email, name, password_hash, role, is_signatory, is_active, session_token, "
                "created_at) VALUES (3, 'a@example.com', 'A', 'x', 'admin', 0, 1, 't', CURRENT_TIMESTAMP)")
            run("INSERT INTO funds (id, code, name, budget, created_at) VALUES (1, 'LSIMF', 'F', 1, CURRENT_TIMESTAMP)")
            run("INSERT INTO rounds (id, fund_id, name, opens_on, deadline, allocation, created_at) "
                "VALUES (1, 1, 'R1', '2026-01-01', '2026-02-01 00:00:00', 1, CURRENT_TIMESTAMP)")
            run("INSERT INTO expressions_of_interest (id, fund_id, organisation_id, status, created_by_id, updated_at, "
                "created_at) VALUES (1, 1, 7, 'invited', 3, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
            run("INSERT INTO applications (id, fund_id, round_id, organisation_id, eoi_id, status, version_number, "
                "updated_at, project_title, total_project_cost, eligible_capital_cost, needs_moderation, created_at) "
                "VALUES (5, 1, 1, 7, 1, 'offer_accepted', 1, CURRENT_TIMESTAMP, 'P', 1, 1, 0, CURRENT_TIMESTAMP)")
            run("INSERT INTO decisions (id, application_id, recommended, recommendation_note, recommended_by_id, "
                "recommended_at, outcome, created_at) VALUES (1, 5, 1, 'n', 3, CURRENT_TIMESTAMP, 'approved', "
                "CURRENT_TIMESTAMP)")
            run("INSERT INTO awards (id, application_id, fund_id, round_id, organisation_id, amount, status, "
                "decided_at, cumulative_subsidy, subsidy_category, created_at) VALUES (9, 5, 1, 1, 7, 1, 'accepted', "
                "CURRENT_TIMESTAMP, 1, 'standard', CURRENT_TIMESTAMP)")
            run("INSERT INTO offers (id, award_id, status, contracted_private_investment, jobs_created, "
                "jobs_safeguarded, milestones, claim_schedule, clawback_terms, issued_by_id, issued_at, expires_at, "
                "document_id, created_at) VALUES (4, 9, 'accepted', 1, 1, 1, 'm', 'c', 't', 3, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP, 12, CURRENT_TIMESTAMP)")
            for document_id, kind, organisation_id, application_id, parameters in [
                    (10, "organisation_summary", 7, None, None), (11, "application_summary", 7, 5, None),
                    (12, "grant_offer_letter", 7, 5, None), (13, "claim_statement", 7, 5, None),
                    (14, "lip_case_summary", None, None, '{"case_id": 21}'),
                    (15, "leverage_report", None, None, '{"region": "TLE"}')]:
                run("INSERT INTO documents (id, kind, status, organisation_id, requested_by_id, application_id, "
                    "parameters, attempts, updated_at, created_at) VALUES "
                    f"({document_id}, '{kind}', 'ready', {organisation_id or 'NULL'}, 3, {application_id or 'NULL'}, "
                    f"{repr(parameters) if parameters else 'NULL'}, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
        upgrade(revision="0012")
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, record_type, record_id, parameters FROM documents "
                                              "ORDER BY id")).all()
            decision = connection.scalar(sa.text("SELECT status FROM decisions"))
        db.engine.dispose()
    assert [(row.id, row.record_type, row.record_id) for row in rows] == [
        (10, "organisation", 7), (11, "application", 5), (12, "offer", 4), (13, "award", 9), (14, "lip_case", 21),
        (15, "report", None)]
    assert [row.parameters for row in rows][-2:] in ([None, '{"region": "TLE"}'], [None, {"region": "TLE"}])
    assert decision == "approved"
