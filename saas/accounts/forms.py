from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from saas.forms_input import NoControlCharacters


class SignInForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Fill in your e-mail.")), Length(max=254),
                                                   NoControlCharacters()])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Fill in your password.")),
                                                         Length(max=200)])
