"""Assessment forms: assigning an assessor, the conflict declaration, scores and moderation.

The score and moderation forms have a field per criterion of the round, so they are built for
the round (`score_form(criteria)`, `moderation_form(criteria)`)."""

from decimal import Decimal

from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSelect, GovSubmitInput
from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, StopValidation

from portfolio.forms.base import BaseForm, ChoiceMessage, NumberField, Required

def _in_sentence(title: str) -> str:
    """'Innovation and R&D spillovers' -> 'innovation and R&D spillovers'."""
    return title[:1].lower() + title[1:]


SCORES = [SelectChoice("", "Not scored yet")] + [SelectChoice(str(n), str(n)) for n in range(1, 11)]


class AssignForm(BaseForm):
    assessor = SelectField("Assessor", widget=GovSelect(), validate_choice=False,
                           validators=[Required("Select an assessor"), ChoiceMessage("Select an assessor")])
    submit = SubmitField("Assign", widget=GovSubmitInput())


class DeclarationForm(BaseForm):
    conflict = RadioField("Do you have a conflict of interest with this company or project?",
                          choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")], widget=GovRadioInput(),
                          validate_choice=False,
                          validators=[Required("Select yes if you have a conflict of interest"),
                                      ChoiceMessage("Select yes if you have a conflict of interest")])
    details = TextAreaField("Describe the conflict", widget=GovCharacterCount(),
                            description="For example a financial interest, a family member who works there, or "
                                        "advice you gave the company",
                            validators=[Length(max=2000, message="The description must be 2,000 characters or fewer")])
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate_details(self, field):
        if self.conflict.data == "yes" and not field.data:
            raise StopValidation("Describe the conflict of interest")


class _ScoreForm(BaseForm):
    save = SubmitField("Save as draft", widget=GovSubmitInput())
    submit = SubmitField("Submit scores", widget=GovSubmitInput())

    def answers(self) -> dict[int, tuple[int | None, str]]:
        """Each criterion's (score, comment) (portfolio.services.assessments.Answer takes them)."""
        return {cid: (int(self[f"score_{cid}"].data) if self[f"score_{cid}"].data else None,
                      self[f"comment_{cid}"].data or "") for cid in self.criterion_ids}


def score_form(criteria, **kwargs) -> _ScoreForm:
    class ScoreForm(_ScoreForm):
        criterion_ids = [c.id for c in criteria]

    for c in criteria:
        setattr(ScoreForm, f"score_{c.id}", SelectField(
            f"Score for {_in_sentence(c.title)} (1 to 10)", choices=SCORES, widget=GovSelect(), validate_choice=False,
            validators=[ChoiceMessage(f"Select a score from 1 to 10 for {_in_sentence(c.title)}")]))
        setattr(ScoreForm, f"comment_{c.id}", TextAreaField(
            f"Comment on {_in_sentence(c.title)}", widget=GovCharacterCount(),
            validators=[Length(max=3000, message=f"The comment on {_in_sentence(c.title)} must be 3,000 characters "
                                                 "or fewer")]))
    return ScoreForm(**kwargs)


class _ModerationForm(BaseForm):
    reason = TextAreaField("Reason for the moderated scores", widget=GovCharacterCount(),
                           validators=[Required("Enter the reason for the moderated scores"),
                                       Length(max=5000, message="The reason must be 5,000 characters or fewer")])
    submit = SubmitField("Save moderated scores", widget=GovSubmitInput())

    def scores(self) -> dict[int, Decimal]:
        return {cid: self[f"score_{cid}"].number for cid in self.criterion_ids}


def _between_1_and_10(title: str):
    def check(form, field):
        if field.number is not None and not Decimal(1) <= field.number <= Decimal(10):
            raise StopValidation(f"The moderated score for {title} must be from 1 to 10")
    return check


def moderation_form(criteria, **kwargs) -> _ModerationForm:
    class ModerationForm(_ModerationForm):
        criterion_ids = [c.id for c in criteria]

    for c in criteria:
        title = _in_sentence(c.title)
        setattr(ModerationForm, f"score_{c.id}", NumberField(
            f"Moderated score for {title}", name_in_errors=f"the moderated score for {title}", places=2,
            maximum=Decimal(10), validators=[Required(f"Enter the moderated score for {title}"),
                                             _between_1_and_10(title)]))
    return ModerationForm(**kwargs)
