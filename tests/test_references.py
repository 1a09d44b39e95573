"""Reference numbers (portfolio.references): LSIMF-00001 for an application and everything that
hangs off it, LIP-, SP- and SU- for cases, partnerships and scale-up companies."""

import pytest
from flask import render_template_string

from portfolio.models import (
    Application,
    Assignment,
    Award,
    Claim,
    LipCase,
    MonitoringReturn,
    Offer,
    Partnership,
    ScaleupCompany,
    User,
)
from portfolio.references import numbered, reference


def test_an_application_and_what_hangs_off_it_share_one_reference():
    application = Application(id=1)
    award = Award(id=77, application_id=1)
    assert reference(application) == "LSIMF-00001"
    assert reference(award) == "LSIMF-00001"  # the application's number, not the award's id
    assert reference(Offer(id=5, award=award)) == "LSIMF-00001"
    assert reference(Claim(id=9, award=award)) == "LSIMF-00001"
    assert reference(MonitoringReturn(id=3, award=award)) == "LSIMF-00001"
    assert reference(Assignment(id=4, application_id=1)) == "LSIMF-00001"


def test_other_records_have_their_own_prefix():
    assert reference(LipCase(id=7)) == LipCase(id=7).reference == "LIP-00007"
    assert reference(Partnership(id=12)) == Partnership(id=12).reference == "SP-00012"
    assert reference(ScaleupCompany(id=3)) == ScaleupCompany(id=3).reference == "SU-00003"


def test_numbers_past_five_digits_keep_every_digit():
    assert reference(Application(id=123456)) == "LSIMF-123456"
    assert numbered("LIP", 0) == "LIP-00000"


def test_a_record_without_a_reference_is_refused():
    with pytest.raises(TypeError, match="a User has no reference number"):
        reference(User(id=1))


def test_templates_use_the_filter(app):
    with app.test_request_context():
        assert render_template_string("{{ a | reference }} / {{ c | reference }}", a=Application(id=42),
                                      c=LipCase(id=42)) == "LSIMF-00042 / LIP-00042"
