from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from saas.couriers.models import COURIER_MODE_LABELS
from saas.couriers.providers import PROVIDERS
from saas.documents.desks import RULE_LABELS
from saas.documents.models import DOCUMENT_TYPE_LABELS
from saas.documents.settings import COLLECTION_RULES
from saas.i18n import TranslatedMeta
from saas.notifications.models import CHANNEL_LABELS
from saas.notifications.settings import CHANNELS
from saas.tenancy.settings import INDONESIAN_TIMEZONES

DOCUMENT_TYPES = tuple(DOCUMENT_TYPE_LABELS)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConsoleForm(FlaskForm):
    class Meta(TranslatedMeta):
        pass


#: The couriers a city may choose, by the names a person knows.
COURIER_CHOICES = {"gosend": PROVIDERS["gosend"].label, "grab": PROVIDERS["grab"].label,
                   "manual": _l("PT Pos or the office's own driver (recorded by hand)")}
TIME_FORMAT = _l("Write the time as HH:MM, for example 08:00.")
COLOUR = _l("Write the colour as #rrggbb, for example #1f4e79.")


def _time(label, default):
    return StringField(label, default=default,
                       validators=[DataRequired(), Regexp(r"^\d{2}:\d{2}$", message=TIME_FORMAT)])


class InviteForm(ConsoleForm):
    email = StringField(_l("E-mail of the city's first administrator"), validators=[
        DataRequired(), Length(max=254), Regexp(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$",
                                                message=_l("This is not an e-mail address."))])


class GoLiveForm(ConsoleForm):
    confirm = BooleanField(_l("The office has tried Antar: staff, office hours, message texts and courier "
                              "credentials are checked. Citizens will get messages and couriers will be booked."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


class SuspendForm(ConsoleForm):
    reason = StringField(_l("Reason (shown in the audit log and to the city's staff)"),
                         validators=[DataRequired(_l("Say why the city is paused.")), Length(max=500)])
    confirm = BooleanField(_l("I understand: the city's portal shows the paused page, its API answers 503 and "
                              "no message is sent or courier booked until it resumes."),
                           validators=[DataRequired(_l("Tick the box to confirm the suspension."))])


class OnboardForm(ConsoleForm):
    slug = StringField(_l("Slug (in the URL)"), validators=[DataRequired(), Regexp(
        r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$", message=_l("Use 3–63 lower-case letters, digits and dashes, "
                                                       "starting with a letter."))])
    name = StringField(_l("Office name"), validators=[DataRequired(), Length(max=200)])
    city_name = StringField(_l("City name"), validators=[DataRequired(), Length(max=120)])
    region_code = StringField(_l("Kemendagri code (PP.KK)"), validators=[DataRequired()])
    timezone = SelectField(_l("Time zone"), choices=[SelectChoice(z, z) for z in INDONESIAN_TIMEZONES])
    go_live = DateField(_l("Go-live date"), validators=[DataRequired()])
    primary_color = StringField(_l("Primary colour (#rrggbb)"), default="#1f4e79",
                                validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$", message=COLOUR)])
    accent_color = StringField(_l("Accent colour (#rrggbb)"), default="#f2a900",
                               validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$", message=COLOUR)])
    office_name = StringField(_l("Office building"), validators=[DataRequired()])
    office_address = StringField(_l("Office address"), validators=[DataRequired()])
    office_phone = StringField(_l("Office phone (+62…)"), validators=[DataRequired()])
    pickup_phone = StringField(_l("Courier desk mobile (+628…)"), validators=[DataRequired()])
    office_email = StringField(_l("Office e-mail"), validators=[DataRequired(), Regexp(
        r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", message=_l("This is not an e-mail address."))])
    latitude = DecimalField(_l("Office latitude"), places=None, validators=[DataRequired()])
    longitude = DecimalField(_l("Office longitude"), places=None, validators=[DataRequired()])
    opens = _time(_l("Opens (HH:MM)"), "08:00")
    closes = _time(_l("Closes Monday–Thursday (HH:MM)"), "15:00")
    friday_closes = _time(_l("Closes on Friday (HH:MM)"), "11:00")
    kecamatan = TextAreaField(_l("Kecamatan, one per line: code then name"), validators=[DataRequired()])
    types = CheckboxesField(_l("Documents delivered"), choices=[SelectChoice(t, DOCUMENT_TYPE_LABELS[t]) for t in DOCUMENT_TYPES],
                            default=["ktp_el", "kia"])
    collection_rule = SelectField(_l("Collection rule"), choices=[SelectChoice(r, RULE_LABELS[r]) for r in COLLECTION_RULES])
    courier_mode = SelectField(_l("Courier mode"), choices=[SelectChoice(m, COURIER_MODE_LABELS[m])
                                                           for m in ("office_booking", "citizen_link")])
    providers = CheckboxesField(_l("Couriers"), choices=[SelectChoice(p, label) for p, label in COURIER_CHOICES.items()],
                                default=["gosend"])
    channels = CheckboxesField(_l("Message channels, in this order"), choices=[SelectChoice(c, CHANNEL_LABELS[c]) for c in CHANNELS],
                               default=["whatsapp", "sms"])
