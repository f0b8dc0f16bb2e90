from saas.notifications.channels.email import Email
from saas.notifications.channels.sms import Sms
from saas.notifications.channels.whatsapp import WhatsApp

CHANNEL_CLASSES = {"whatsapp": WhatsApp, "sms": Sms, "email": Email}


def channel_for(tenant, name: str):
    return CHANNEL_CLASSES[name](tenant)
