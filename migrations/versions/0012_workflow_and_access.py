"""One workflow engine and one access rule per record: statuses for decisions, payments, cohort
places and partnership commitments; documents name their record with a typed reference

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 19:34:19.713711

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


DECISION_STATUS = _enum('decisionstatus', 'recommended', 'not_recommended', 'awaiting_second_approval', 'approved',
                        'rejected')

# Which record each kind of document was made from (before: ids on the row or inside `parameters`).
KIND_RECORD = {
    'organisation_summary': 'organisation', 'application_summary': 'application', 'grant_offer_letter': 'offer',
    'monitoring_return': 'monitoring_return', 'claim_statement': 'award', 'leverage_report': 'report',
    'implementation_update': 'report', 'lip_case_summary': 'lip_case', 'partnership_report': 'partnership',
    'scaleup_profile': 'scaleup_company',
}
PARAMETER_IDS = {'lip_case_summary': 'case_id', 'partnership_report': 'partnership_id',
                 'scaleup_profile': 'company_id'}


def upgrade():
    connection = op.get_bind()

    # Decisions: a status instead of the outcome string.
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', DECISION_STATUS, nullable=True))
    decisions = sa.table('decisions', sa.column('id', sa.Integer), sa.column('status', sa.String),
                         sa.column('outcome', sa.String), sa.column('recommended', sa.Boolean),
                         sa.column('first_approver_id', sa.Integer))
    connection.execute(decisions.update().values(status=sa.case(
        (decisions.c.outcome == 'approved', 'approved'),
        (decisions.c.outcome == 'rejected', 'rejected'),
        (decisions.c.first_approver_id.is_not(None), 'awaiting_second_approval'),
        (decisions.c.recommended.is_(True), 'recommended'),
        else_='not_recommended')))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=DECISION_STATUS, nullable=False)
        batch_op.create_index(batch_op.f('ix_decisions_status'), ['status'], unique=False)
        batch_op.drop_column('outcome')

    # Payments, partnership commitments and cohort places get statuses of their own.
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', _enum('paymentstatus', 'paid'), nullable=True))
    connection.execute(sa.text("UPDATE payments SET status = 'paid'"))
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=_enum('paymentstatus', 'paid'), nullable=False)

    commitment_status = _enum('commitmentstatus', 'open', 'met', 'withdrawn')
    with op.batch_alter_table('partnership_commitments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', commitment_status, nullable=True))
        batch_op.add_column(sa.Column('status_reason', sa.Text(), nullable=True))
    connection.execute(sa.text("UPDATE partnership_commitments SET status = 'open'"))
    with op.batch_alter_table('partnership_commitments', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=commitment_status, nullable=False)

    membership_status = _enum('membershipstatus', 'active', 'left')
    with op.batch_alter_table('scaleup_companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', membership_status, nullable=True))
    connection.execute(sa.text("UPDATE scaleup_companies SET status = CASE WHEN left_on IS NULL THEN 'active' "
                               "ELSE 'left' END"))
    with op.batch_alter_table('scaleup_companies', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=membership_status, nullable=False)
        batch_op.create_index(batch_op.f('ix_scaleup_companies_status'), ['status'], unique=False)

    # Documents: a typed reference to their record instead of ids on the row or in `parameters`.
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_type', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('record_id', sa.Integer(), nullable=True))
    documents = sa.table('documents', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                         sa.column('organisation_id', sa.Integer), sa.column('application_id', sa.Integer),
                         sa.column('monitoring_return_id', sa.Integer), sa.column('parameters', sa.JSON),
                         sa.column('record_type', sa.String), sa.column('record_id', sa.Integer))
    offers = sa.table('offers', sa.column('id', sa.Integer), sa.column('award_id', sa.Integer),
                      sa.column('document_id', sa.Integer))
    awards = sa.table('awards', sa.column('id', sa.Integer), sa.column('application_id', sa.Integer))
    rows = connection.execute(sa.select(documents.c.id, documents.c.kind, documents.c.organisation_id,
                                        documents.c.application_id, documents.c.monitoring_return_id,
                                        documents.c.parameters)).all()
    for document_id, kind, organisation_id, application_id, return_id, parameters in rows:
        parameters = dict(parameters or {})
        record_type = KIND_RECORD[kind]
        if kind == 'organisation_summary':
            record_id = organisation_id
        elif kind == 'application_summary':
            record_id = application_id
        elif kind == 'monitoring_return':
            record_id = return_id
        elif kind == 'grant_offer_letter':
            record_id = connection.scalar(sa.select(offers.c.id).where(offers.c.document_id == document_id)) or \
                connection.scalar(sa.select(offers.c.id).join(awards, awards.c.id == offers.c.award_id)
                                  .where(awards.c.application_id == application_id))
        elif kind == 'claim_statement':
            record_id = connection.scalar(sa.select(awards.c.id).where(awards.c.application_id == application_id))
        elif kind in PARAMETER_IDS:
            record_id = parameters.pop(PARAMETER_IDS[kind], None)
        else:
            record_id = None
        connection.execute(documents.update().where(documents.c.id == document_id).values(
            record_type=record_type, record_id=record_id, parameters=parameters if parameters else sa.null()))
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.alter_column('record_type', existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_index(batch_op.f('ix_documents_application_id'))
        batch_op.drop_index(batch_op.f('ix_documents_monitoring_return_id'))
        batch_op.create_index('ix_documents_record', ['record_type', 'record_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_documents_monitoring_return_id_monitoring_returns'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_documents_application_id_applications'), type_='foreignkey')
        batch_op.drop_column('monitoring_return_id')
        batch_op.drop_column('application_id')


def downgrade():
    connection = op.get_bind()
    with op.batch_alter_table('scaleup_companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scaleup_companies_status'))
        batch_op.drop_column('status')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('status')

    with op.batch_alter_table('partnership_commitments', schema=None) as batch_op:
        batch_op.drop_column('status_reason')
        batch_op.drop_column('status')

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column('monitoring_return_id', sa.INTEGER(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_documents_application_id_applications'), 'applications',
                                    ['application_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_documents_monitoring_return_id_monitoring_returns'),
                                    'monitoring_returns', ['monitoring_return_id'], ['id'])
        batch_op.drop_index('ix_documents_record')
        batch_op.create_index(batch_op.f('ix_documents_monitoring_return_id'), ['monitoring_return_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_application_id'), ['application_id'], unique=False)
    documents = sa.table('documents', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                         sa.column('application_id', sa.Integer), sa.column('monitoring_return_id', sa.Integer),
                         sa.column('parameters', sa.JSON), sa.column('record_type', sa.String),
                         sa.column('record_id', sa.Integer))
    awards = sa.table('awards', sa.column('id', sa.Integer), sa.column('application_id', sa.Integer))
    offers = sa.table('offers', sa.column('id', sa.Integer), sa.column('award_id', sa.Integer))
    rows = connection.execute(sa.select(documents.c.id, documents.c.kind, documents.c.record_type,
                                        documents.c.record_id, documents.c.parameters)).all()
    for document_id, kind, record_type, record_id, parameters in rows:
        values = {}
        if record_type == 'application':
            values['application_id'] = record_id
        elif record_type == 'monitoring_return':
            values['monitoring_return_id'] = record_id
        elif record_type == 'award':
            values['application_id'] = connection.scalar(sa.select(awards.c.application_id)
                                                         .where(awards.c.id == record_id))
        elif record_type == 'offer':
            values['application_id'] = connection.scalar(
                sa.select(awards.c.application_id).join(offers, offers.c.award_id == awards.c.id)
                .where(offers.c.id == record_id))
        elif kind in PARAMETER_IDS:
            values['parameters'] = {**(parameters or {}), PARAMETER_IDS[kind]: record_id}
        if values:
            connection.execute(documents.update().where(documents.c.id == document_id).values(**values))
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('record_id')
        batch_op.drop_column('record_type')

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.VARCHAR(length=16), nullable=True))
    connection.execute(sa.text("UPDATE decisions SET outcome = status WHERE status IN ('approved', 'rejected')"))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_status'))
        batch_op.drop_column('status')
