"""Notifications: an outbox of messages sent by RQ jobs over WhatsApp, SMS and e-mail."""
from saas.notifications.templates import read_city_templates
from saas.tenancy.services import FOLDER_CHECKS

if read_city_templates not in FOLDER_CHECKS:
    FOLDER_CHECKS.append(read_city_templates)
