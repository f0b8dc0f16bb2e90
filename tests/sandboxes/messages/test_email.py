"""The SMTP sandbox, spoken to with smtplib as Antar's mailer does."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from saas.sandboxes import messages


@pytest.fixture(scope="module")
def smtp_server():
    address = messages.start_smtp()
    yield address
    messages.stop_smtp()


def multipart(to="siti@example.com", subject="KTP-el Anda sudah jadi") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Disdukcapil Balikpapan <noreply@antar.test>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Halo Siti,\nambil di https://antar.test/balikpapan/d/abc123\n")
    message.add_alternative("<p>Halo Siti,</p><p><a href='https://antar.test/balikpapan/d/abc123'>Ambil</a></p>",
                            subtype="html")
    return message


def send(address, message: EmailMessage) -> None:
    with smtplib.SMTP(*address, timeout=5) as client:
        client.send_message(message)


def test_start_returns_the_running_server(smtp_server):
    assert messages.start_smtp() == smtp_server == messages.smtp_address()


def test_a_multipart_email_is_recorded_with_both_bodies(smtp_server):
    send(smtp_server, multipart())

    [email] = messages.received("email")
    assert email["to"] == "siti@example.com" and email["recipient"] == "siti@example.com"
    assert email["from"] == "Disdukcapil Balikpapan <noreply@antar.test>"
    assert email["envelope_from"] == "noreply@antar.test"
    assert email["subject"] == "KTP-el Anda sudah jadi"
    assert "https://antar.test/balikpapan/d/abc123" in email["text"]
    assert "<a href='https://antar.test/balikpapan/d/abc123'>" in email["html"]
    assert email["status"] == "delivered"


def test_a_plain_email_has_no_html(smtp_server):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@antar.test", "b@example.com", "Plain"
    message.set_content("Just text")
    send(smtp_server, message)

    [email] = messages.received("email", to="B@example.com")
    assert email["text"].strip() == "Just text" and email["html"] is None


def test_server_error_mode_answers_451_to_data(smtp_server):
    messages.set_failure("email", "server_error", count=1)

    with pytest.raises(smtplib.SMTPDataError) as failure:
        send(smtp_server, multipart())

    assert failure.value.smtp_code == 451
    assert messages.received("email") == []
    assert messages.rejected("email")[0]["reason"] == "server_error"
    send(smtp_server, multipart())
    assert len(messages.received("email")) == 1


def test_unknown_mailboxes_are_refused_at_rcpt(smtp_server):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp_server, multipart(to="nobody@invalid.test"))

    assert refused.value.recipients["nobody@invalid.test"][0] == 550
    assert messages.received() == []

    messages.set_failure("email", "invalid_number", count=1)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(smtp_server, multipart())
    send(smtp_server, multipart())
    assert len(messages.received("email")) == 1


def test_registered_logins_are_required(smtp_server):
    messages.register_smtp_login("antar", "s3cret")

    with smtplib.SMTP(*smtp_server, timeout=5) as client:
        with pytest.raises(smtplib.SMTPSenderRefused):
            client.send_message(multipart())
    with smtplib.SMTP(*smtp_server, timeout=5) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("antar", "wrong")
    with smtplib.SMTP(*smtp_server, timeout=5) as client:
        client.login("antar", "s3cret")
        client.send_message(multipart())

    assert messages.received("email")[0]["username"] == "antar"


def test_the_html_version_is_served_alone_without_scripts(smtp_server, sandbox):
    send(smtp_server, multipart())
    [email] = messages.received("email")

    response = sandbox.get(f"/sandbox/messages/{email['id']}/html")

    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Ambil" in response.get_data(as_text=True)
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "HTML version" in sandbox.get("/sandbox/inbox").get_data(as_text=True)
    assert sandbox.get("/sandbox/messages/nope/html").status_code == 404


def test_email_appears_in_the_listing(smtp_server, sandbox):
    send(smtp_server, multipart())

    body = sandbox.get("/sandbox/messages?channel=email").get_json()

    assert body["counts"]["email"] == 1
    assert body["messages"][0]["subject"] == "KTP-el Anda sudah jadi"
