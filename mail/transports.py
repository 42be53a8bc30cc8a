"""Where rendered email goes: the console (default) or an SMTP server through yagmail.

This is the only module that imports yagmail.
"""
from __future__ import annotations

import smtplib
import socket
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlparse

import yagmail


class DeliveryError(Exception):
    """This message could not be delivered."""


class ConnectionLost(DeliveryError):
    """No message can be delivered right now (the server is down or went away)."""


class ConsoleTransport:
    """Prints each message to standard output: a local install without SMTP still 'sends'."""

    name = 'console'

    def __init__(self, mail_from: str, stream=None) -> None:
        self.mail_from = mail_from
        self.stream = stream

    @contextmanager
    def session(self):
        stream = self.stream or sys.stdout

        def send(recipient: str, subject: str, body: str, message_id: str | None = None, html=None) -> None:
            stream.write(f'\n----- email -----\nFrom: {self.mail_from}\nTo: {recipient}\n'
                         f'Subject: {subject}\n\n{body}\n----- end of email -----\n')
            stream.flush()

        yield send


@dataclass
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    ssl: bool
    starttls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parsed = urlparse(url)
        ssl = parsed.scheme == 'smtps'
        starttls = parsed.scheme == 'smtp+starttls'
        return cls(host=parsed.hostname or 'localhost', port=parsed.port or (465 if ssl else 587 if starttls else 25),
                   user=unquote(parsed.username or ''), password=unquote(parsed.password or ''),
                   ssl=ssl, starttls=starttls)


class SmtpTransport:
    name = 'smtp'

    def __init__(self, url: str, mail_from: str, timeout: float = 15) -> None:
        self.settings = SmtpSettings.from_url(url)
        self.mail_from = mail_from
        self.timeout = timeout

    def _client(self) -> yagmail.SMTP:
        s = self.settings
        return yagmail.SMTP(
            user=s.user or self.mail_from, password=s.password or 'unused', host=s.host, port=s.port,
            smtp_ssl=s.ssl, smtp_starttls=s.starttls, smtp_skip_login=not s.user,
            soft_email_validation=False, timeout=self.timeout)

    @contextmanager
    def session(self):
        """One connection for a batch (yagmail connects: TLS, login); yields
        `send(recipient, subject, body, message_id=None, html=None)` (`message_id`: the part before the @, stable
        per message; `html`: the branded HTML alternative, mail/branded.py). The MIME message is built here, because
        yagmail would turn the text into unescaped HTML. Raises ConnectionLost when the server cannot be reached or
        goes away."""
        client = self._client()
        try:
            client.login()
        except (OSError, smtplib.SMTPException) as error:
            raise ConnectionLost(f'cannot reach the SMTP server: {error}') from None

        def send(recipient: str, subject: str, body: str, message_id: str | None = None, html=None) -> None:
            try:
                client.smtp.send_message(self._message(recipient, subject, body, message_id, html))
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                raise ConnectionLost(f'the SMTP server went away: {error}') from None
            except smtplib.SMTPException as error:  # e.g. a refused recipient: this message only
                raise DeliveryError(str(error)) from None

        try:
            yield send
        finally:
            client.close()

    def _message(self, recipient: str, subject: str, body: str, message_id: str | None = None,
                 html=None) -> EmailMessage:
        """The plain text; with `html` (a mail.branded.HtmlPart) also an HTML alternative, its images inline
        (multipart/related, referred to as cid:)."""
        message = EmailMessage()
        message['From'] = self.mail_from
        message['To'] = recipient
        message['Subject'] = subject
        message['Date'] = formatdate(localtime=False)
        domain = self.mail_from.rpartition('@')[2] or 'portico'
        # the same outbox row sent again (after a crash) keeps its Message-ID, so a mail system can drop the copy
        message['Message-ID'] = f'<{message_id}@{domain}>' if message_id else make_msgid(domain=domain)
        message.set_content(body)
        if html is not None:
            message.add_alternative(html.html, subtype='html')
            alternative = message.get_payload()[-1]
            for image in html.images:
                maintype, _, subtype = image.content_type.partition('/')
                alternative.add_related(image.data, maintype=maintype, subtype=subtype, cid=f'<{image.cid}>',
                                        disposition='inline')
        return message

    def reachable(self) -> str | None:
        """None when the server accepts a connection, else one line saying why not."""
        try:
            with socket.create_connection((self.settings.host, self.settings.port), timeout=3):
                return None
        except OSError as error:
            return f'SMTP server {self.settings.host}:{self.settings.port} is unreachable ({error})'


def from_config(config) -> ConsoleTransport | SmtpTransport:
    if config.smtp_url:
        return SmtpTransport(config.smtp_url, config.mail_from)
    return ConsoleTransport(config.mail_from)
