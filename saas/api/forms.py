"""The admin's form for a new API token."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), validators=[DataRequired(), Length(max=80)])
