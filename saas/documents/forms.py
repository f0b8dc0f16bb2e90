from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class UploadForm(FlaskForm):
    file = FileField(_l("SIAK export (.csv or .xlsx)"), validators=[FileRequired(_l("Choose a file."))])


class TransitionForm(FlaskForm):
    to = HiddenField(validators=[DataRequired()])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])


class PickupLookupForm(FlaskForm):
    registration_no = StringField(_l("Registration number or booking code"),
                                  validators=[DataRequired(_l("Fill in the number.")), Length(max=40)])


class CollectorForm(FlaskForm):
    who = RadioField(_l("Who is collecting?"), choices=[
        SelectChoice("owner", _l("The owner")),
        SelectChoice("family", _l("A family member on the same KK")),
        SelectChoice("proxy", _l("Someone with a surat kuasa")),
    ], default="owner", validators=[DataRequired()])
    nik = StringField(_l("NIK of the person at the desk"), validators=[DataRequired(_l("Fill in the NIK.")),
                                                                      Length(max=20)])
    kk_number = StringField(_l("Their KK number (family member)"), validators=[Optional(), Length(max=20)])
    proxy_name = StringField(_l("Name (surat kuasa)"), validators=[Optional(), Length(max=120)])
    letter_no = StringField(_l("Surat kuasa number"), validators=[Optional(), Length(max=60)])


class ReturnForm(FlaskForm):
    registration_no = StringField(_l("Registration number"), validators=[DataRequired(), Length(max=40)])
    note = StringField(_l("Why it came back"), validators=[DataRequired(_l("Say why it came back.")),
                                                           Length(max=500)])


class CancelForm(FlaskForm):
    note = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Say why.")), Length(max=500)])
