from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from saas.forms_input import NoControlCharacters
from saas.portal.models import PROBLEM_KINDS


class LookupForm(FlaskForm):
    registration_no = StringField(_l("Registration number"), validators=[
        DataRequired(_l("Fill in the registration number from your receipt.")), Length(max=40), NoControlCharacters()])
    nik = StringField(_l("NIK of the document's owner (16 digits)"), validators=[
        DataRequired(_l("Fill in the NIK.")), Length(max=25), NoControlCharacters()])


class SlotForm(FlaskForm):
    starts_at = RadioField(_l("Choose a time"), validators=[DataRequired(_l("Choose a time."))], choices=[])


class CourierForm(FlaskForm):
    recipient_name = StringField(_l("Name of the person receiving it"), validators=[
        DataRequired(_l("Fill in who receives it.")), Length(max=120)])
    recipient_phone = StringField(_l("Their mobile number"), validators=[
        DataRequired(_l("Fill in a mobile number.")), Length(max=20)])
    # The kelurahan's Kemendagri code; the list is grouped by kecamatan and checked in the view.
    area = SelectField(_l("Kelurahan (kecamatan)"), validators=[DataRequired(_l("Choose your kelurahan."))],
                       choices=[], validate_choice=False)
    address = TextAreaField(_l("Street address, house number, RT/RW"), validators=[
        DataRequired(_l("Fill in the address.")), Length(min=8, max=500)])
    latitude = DecimalField(_l("Latitude"), places=None, validators=[Optional(), NumberRange(
        -11.5, 6.5, _l("A latitude in Indonesia lies between -11.5 and 6.5."))])
    longitude = DecimalField(_l("Longitude"), places=None, validators=[Optional(), NumberRange(
        94.5, 141.5, _l("A longitude in Indonesia lies between 94.5 and 141.5."))])
    driver_note = StringField(_l("Note for the driver (optional)"), validators=[Optional(), Length(max=200)])


class ChooseCourierForm(FlaskForm):
    """The citizen picks one of the couriers quoted side by side; the address waits in the session."""

    provider = RadioField(_l("Courier"), validators=[DataRequired(_l("Choose a courier."))], choices=[])


class CitizenOrderForm(FlaskForm):
    recipient_name = StringField(_l("Name of the person receiving it"), validators=[
        DataRequired(_l("Fill in who receives it.")), Length(max=120)])
    recipient_phone = StringField(_l("Their mobile number"), validators=[
        DataRequired(_l("Fill in a mobile number.")), Length(max=20)])


class ConfirmForm(FlaskForm):
    """Only a CSRF token: the request itself is kept in the session between quote and confirm."""


class RatingForm(FlaskForm):
    score = RadioField(_l("How was the service?"), choices=[SelectChoice(str(n), str(n)) for n in range(5, 0, -1)],
                       validators=[DataRequired(_l("Choose 1 to 5 stars."))])
    comment = TextAreaField(_l("Anything to tell the office? (optional)"), validators=[Optional(), Length(max=500)])


class ProblemForm(FlaskForm):
    kind = RadioField(_l("What went wrong?"), choices=[SelectChoice(k, v) for k, v in PROBLEM_KINDS.items()],
                      validators=[DataRequired(_l("Choose what went wrong."))])
    note = TextAreaField(_l("Tell us more (optional)"), validators=[Optional(), Length(max=1000)])


class ProblemMoveForm(FlaskForm):
    """Staff move a problem report: ``to`` is the new status, ``text`` the note (in hand) or the reply (resolved)."""

    to = HiddenField(validators=[DataRequired(_l("Choose In hand or Resolved."))])
    text = TextAreaField(validators=[Optional(), Length(max=500, message=_l("Keep it under 500 characters."))])


class ClosureForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired(_l("Choose a day."))])
    reason = StringField(_l("Why the office is closed (citizens read it)"), validators=[
        DataRequired(_l("Say why the office is closed: citizens read it on the slot page.")), Length(max=200),
        NoControlCharacters()])
