from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from saas.forms_input import NoControlCharacters
from saas.i18n import TranslatedMeta


def _nik_field():
    # A password field: the browser neither shows the NIK over a shoulder nor remembers it.
    return PasswordField(_l("The citizen's NIK"), validators=[DataRequired(_l("Fill in the NIK.")), Length(max=40),
                                                              NoControlCharacters()])


class SubjectRequestForm(FlaskForm):
    """A request as it comes in: logged now, carried out (or refused) from its own page."""

    class Meta(TranslatedMeta):
        pass

    nik = _nik_field()
    kind = SelectField(_l("Request"), choices=[
        SelectChoice("export", _l("Access: a copy of everything held (JSON)")),
        SelectChoice("correct", _l("Correction of the data")),
        SelectChoice("erase", _l("Erase what the law allows")),
        SelectChoice("withdraw", _l("Withdrawal of consent (messages)"))])
    received_at = DateTimeLocalField(_l("Received at (the city's time; empty for now)"),
                                     validators=[Optional()])
    reason = StringField(_l("Why (the request's reference, how it was checked)"),
                         validators=[DataRequired(_l("Say why, for the record.")), Length(min=5, max=300),
                                     NoControlCharacters()])


class CarryOutForm(FlaskForm):
    """Export or erase for an open request: the NIK typed again (it is not kept in clear)."""

    class Meta(TranslatedMeta):
        pass

    nik = _nik_field()
    confirm = BooleanField(_l("I checked the citizen's identity, and erasure cannot be undone."))


class CloseForm(FlaskForm):
    """Done (what was done) or refused (why): the note goes on the record."""

    class Meta(TranslatedMeta):
        pass

    outcome = StringField(_l("What was done, or why it is refused"),
                          validators=[DataRequired(_l("Say what was done or why, for the record.")),
                                      Length(min=5, max=300), NoControlCharacters()])
