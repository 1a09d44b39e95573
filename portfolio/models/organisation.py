import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.models.base import Base, TimestampMixin, enum_column
from portfolio.models.statuses import Region


class Organisation(TimestampMixin, Base):
    """A company: applicant for LSIMF, or the subject of a case, partnership or cohort place."""
    __record_type__ = "organisation"

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    company_number: Mapped[str] = mapped_column(sa.String(8), unique=True)
    postcode: Mapped[str] = mapped_column(sa.String(8))
    region: Mapped[Region] = mapped_column(enum_column(Region))

    users: Mapped[list["User"]] = relationship(  # noqa: F821
        back_populates="organisation", order_by="User.name"
    )
    applications: Mapped[list["Application"]] = relationship(viewonly=True)  # noqa: F821

    @property
    def signatories(self) -> list["User"]:  # noqa: F821
        return [user for user in self.users if user.is_signatory and user.is_active]

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.company_number}>"
