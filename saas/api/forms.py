"""The admin's form for a new API token."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length

from saas.api.models import TOKEN_KINDS

TOKEN_KIND_LABELS = {
    "live": _l("Live: real documents, messages and couriers"),
    "test": _l("Test: test data only, no message sent, no courier booked"),
}


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), validators=[DataRequired(), Length(max=80)])
    # Checked by AnyOf, not by the field, so a kind that does not exist gets our own words.
    kind = RadioField(_l("Kind"), choices=[SelectChoice(k, TOKEN_KIND_LABELS[k]) for k in TOKEN_KINDS], default="live",
                      validate_choice=False,
                      validators=[AnyOf(TOKEN_KINDS, message=_l("Choose the token's kind: live or test."))])
