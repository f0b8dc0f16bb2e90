"""Forms that every office page shares."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class EmptyForm(FlaskForm):
    """A form with nothing but its CSRF token: for buttons that change something."""


class RevealPhoneForm(FlaskForm):
    """Why a staff member needs a citizen's whole number: the reason goes into the access log."""

    reason = StringField(_l("Why you need the number"), validators=[
        DataRequired(_l("Say why you need the number: it is written in the access log.")), Length(min=5, max=200)])
