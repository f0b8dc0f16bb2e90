from saas.notifications.channels.email import Email
from saas.notifications.channels.sms import Sms
from saas.notifications.channels.whatsapp import WhatsApp
from saas.tenancy.scope import current_tenant

CHANNEL_CLASSES = {"whatsapp": WhatsApp, "sms": Sms, "email": Email}


def channel_for(name: str):
    tenant = current_tenant
    return CHANNEL_CLASSES[name](tenant)
