"""The office's side of the chat: the panel on the document page, taking it over, answering."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from saas.accounts.access import staff_required
from saas.conversation import services
from saas.documents.identity import mask_phone
from saas.documents.services import get_document
from saas.extensions import db
from saas.notifications.services import SESSION_WINDOW
from saas.office.forms import EmptyForm
from saas.office.shell import office_blueprint

office = office_blueprint("office_chat", __name__, "/documents")


class ReplyForm(EmptyForm):
    text = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=1000)])


def chat_panel(document):
    """The document page's WhatsApp conversation (the number masked), if the citizen wrote."""
    conversation = services.conversation_of(document)
    if conversation is None:
        return ""
    return render_template("conversation/_document_chat.html", document=document, conversation=conversation,
                           phone=mask_phone(conversation.phone), messages=services.messages_of(conversation),
                           window_until=conversation.last_inbound_at + SESSION_WINDOW if services.window_open(conversation) else None,
                           form=EmptyForm(), reply_form=ReplyForm())


def _conversation(registration_no: str) -> tuple:
    document = get_document(registration_no)
    if document is None:
        abort(404)
    conversation = services.conversation_of(document)
    if conversation is None or not EmptyForm().validate_on_submit():
        abort(400)
    return document, conversation


def _back(document):
    return redirect(url_for("office.document", registration_no=document.registration_no, _anchor="chat"))


@office.post("/<registration_no>/chat/take")
@staff_required("operator")
def take_over(registration_no: str):
    document, conversation = _conversation(registration_no)
    services.take_over(conversation, current_user)
    db.session.commit()
    flash(_("You have the conversation: the bot stays silent until you hand it back."), "success")
    return _back(document)


@office.post("/<registration_no>/chat/hand-back")
@staff_required("operator")
def hand_back(registration_no: str):
    document, conversation = _conversation(registration_no)
    services.hand_back(conversation)
    db.session.commit()
    flash(_("The bot answers this conversation again."), "success")
    return _back(document)


@office.post("/<registration_no>/chat/reply")
@staff_required("operator")
def reply(registration_no: str):
    document, conversation = _conversation(registration_no)
    form = ReplyForm()
    if conversation.handled_by_id != current_user.id:
        flash(_("Take the conversation over first."), "error")
        return _back(document)
    if not form.validate():
        flash(_("Write a reply of at most 1000 characters."), "error")
        return _back(document)
    try:
        services.staff_reply(conversation, current_user, form.text.data)
    except services.ChatClosed:
        flash(_("More than 24 hours have passed since the citizen's last message: WhatsApp allows only "
                "approved templates now."), "error")
        return _back(document)
    db.session.commit()
    flash(_("Your reply will be sent."), "success")
    return _back(document)
