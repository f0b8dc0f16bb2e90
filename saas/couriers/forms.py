from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class PickupCodeForm(FlaskForm):
    code = StringField(_l("Pickup code (scan or type)"), validators=[DataRequired(_l("Scan or type the code.")),
                                                                   Length(max=20)])


class HandoverForm(FlaskForm):
    seal_number = StringField(_l("Seal number of the envelope"), validators=[DataRequired(_l("Record the seal number.")),
                                                                            Length(max=40)])
    driver_name = StringField(_l("Driver's name"), validators=[DataRequired(_l("Record the driver's name.")),
                                                              Length(max=120)])
    driver_plate = StringField(_l("Plate number"), validators=[DataRequired(_l("Record the plate number.")),
                                                             Length(max=20)])


class ManualOutcomeForm(FlaskForm):
    outcome = SelectField(_l("What happened"), choices=[
        SelectChoice("booked", _l("Trip booked")), SelectChoice("picked_up", _l("Picked up")),
        SelectChoice("delivered", _l("Delivered")), SelectChoice("returned", _l("Brought back")),
        SelectChoice("failed", _l("Failed"))])
    tracking_no = StringField(_l("Tracking number"), validators=[Optional(), Length(max=64)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class PinForm(FlaskForm):
    pin = StringField(_l("Receipt PIN the citizen tells you"), validators=[DataRequired(), Length(min=4, max=6)])


class CancelDeliveryForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Say why.")), Length(max=300)])
