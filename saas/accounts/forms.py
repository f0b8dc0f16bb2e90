from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from saas.forms_input import NoControlCharacters


class SignInForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Fill in your e-mail.")), Length(max=254),
                                                   NoControlCharacters()])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Fill in your password.")),
                                                         Length(max=200)])


class WelcomeForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Fill in your name.")), Length(max=120)])
    password = PasswordField(_l("Choose a password (at least 10 characters)"), validators=[
        DataRequired(_l("Fill in your password.")), Length(min=10, max=200, message=_l("Use 10 to 200 characters."))])
    again = PasswordField(_l("The password again"), validators=[
        DataRequired(_l("Fill in your password.")), EqualTo("password", message=_l("The two passwords differ."))])


class StaffForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice("operator", _l("Operator")),
                                            SelectChoice("supervisor", _l("Supervisor")),
                                            SelectChoice("admin", _l("Administrator"))])
    password = StringField(_l("First password (at least 10 characters)"),
                           validators=[DataRequired(), Length(min=10, max=200)])
