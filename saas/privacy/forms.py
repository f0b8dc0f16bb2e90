from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from saas.forms_input import NoControlCharacters


class SubjectRequestForm(FlaskForm):
    # A password field: the browser neither shows the NIK over a shoulder nor remembers it.
    nik = PasswordField(_l("The citizen's NIK"), validators=[DataRequired(_l("Fill in the NIK.")), Length(max=40),
                                                             NoControlCharacters()])
    kind = SelectField(_l("Request"), choices=[SelectChoice("export", _l("Export: a copy of everything held (JSON)")),
                                               SelectChoice("erase", _l("Erase what the law allows"))])
    reason = StringField(_l("Why (the request's reference, how it was checked)"),
                         validators=[DataRequired(_l("Say why, for the record.")), Length(min=5, max=300),
                                     NoControlCharacters()])
    confirm = BooleanField(_l("I checked the citizen's identity, and erasure cannot be undone."))
