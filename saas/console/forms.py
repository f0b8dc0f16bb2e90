from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from saas.documents.models import DOCUMENT_TYPE_LABELS
from saas.documents.settings import COLLECTION_RULES
from saas.notifications.settings import CHANNELS
from saas.tenancy.settings import INDONESIAN_TIMEZONES

DOCUMENT_TYPES = tuple(DOCUMENT_TYPE_LABELS)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SuspendForm(FlaskForm):
    reason = StringField(_l("Reason (shown in the audit log)"), validators=[DataRequired(), Length(max=500)])


class OnboardForm(FlaskForm):
    slug = StringField(_l("Slug (in the URL)"), validators=[DataRequired(), Regexp(r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$")])
    name = StringField(_l("Office name"), validators=[DataRequired(), Length(max=200)])
    city_name = StringField(_l("City name"), validators=[DataRequired(), Length(max=120)])
    region_code = StringField(_l("Kemendagri code (PP.KK)"), validators=[DataRequired()])
    timezone = SelectField(_l("Time zone"), choices=[SelectChoice(z, z) for z in INDONESIAN_TIMEZONES])
    go_live = DateField(_l("Go-live date"), validators=[DataRequired()])
    primary_color = StringField(_l("Primary colour (#rrggbb)"), default="#1f4e79", validators=[DataRequired()])
    accent_color = StringField(_l("Accent colour (#rrggbb)"), default="#f2a900", validators=[DataRequired()])
    office_name = StringField(_l("Office building"), validators=[DataRequired()])
    office_address = StringField(_l("Office address"), validators=[DataRequired()])
    office_phone = StringField(_l("Office phone (+62…)"), validators=[DataRequired()])
    pickup_phone = StringField(_l("Courier desk mobile (+628…)"), validators=[DataRequired()])
    office_email = StringField(_l("Office e-mail"), validators=[DataRequired(), Regexp(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")])
    latitude = DecimalField(_l("Office latitude"), places=None, validators=[DataRequired()])
    longitude = DecimalField(_l("Office longitude"), places=None, validators=[DataRequired()])
    opens = StringField(_l("Opens (HH:MM)"), default="08:00", validators=[DataRequired()])
    closes = StringField(_l("Closes Monday–Thursday (HH:MM)"), default="15:00", validators=[DataRequired()])
    friday_closes = StringField(_l("Closes on Friday (HH:MM)"), default="11:00", validators=[DataRequired()])
    kecamatan = TextAreaField(_l("Kecamatan, one per line: code then name"), validators=[DataRequired()])
    types = CheckboxesField(_l("Documents delivered"), choices=[SelectChoice(t, t) for t in DOCUMENT_TYPES],
                            default=["ktp_el", "kia"])
    collection_rule = SelectField(_l("Collection rule"), choices=[SelectChoice(r, r) for r in COLLECTION_RULES])
    courier_mode = SelectField(_l("Courier mode"), choices=[SelectChoice("office_booking", "office_booking"),
                                                           SelectChoice("citizen_link", "citizen_link")])
    providers = CheckboxesField(_l("Couriers"), choices=[SelectChoice(p, p) for p in ("gosend", "grab", "manual")],
                                default=["gosend"])
    channels = CheckboxesField(_l("Message channels, in this order"), choices=[SelectChoice(c, c) for c in CHANNELS],
                               default=["whatsapp", "sms"])
