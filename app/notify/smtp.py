"""Delivering the e-mail outbox through a real SMTP server, with retry and back-off.

State machine per message: pending -> sending (claimed, attempt counted and committed
*before* talking to the server) -> sent, or back to pending with ``next_attempt_at`` pushed out
(4xx, refused connection, dropped connection), or failed (5xx, or too many attempts).

A worker that dies after the server accepted a message but before marking it leaves it in
``sending``; once its claim expires it is sent again *with the same Message-ID* and the attempt
log shows both tries. SMTP cannot do better than at-least-once, so the stable Message-ID is what
lets the receiving side drop the copy; within one worker a message is never sent twice.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.notify.models import DeliveryAttempt, OutboxChannel, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "Tandem Support <support@tandem.invalid>"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0
    # Mail leaves the machine only encrypted unless someone says otherwise on purpose.
    allow_plaintext: bool = False

    def __post_init__(self) -> None:
        if not (self.starttls or self.allow_plaintext or _is_loopback(self.host)):
            raise ValueError(f"SMTP server {self.host} is not on loopback: use STARTTLS "
                             "(or allow_plaintext=True on a trusted network)")
        if self.username and not (self.starttls or _is_loopback(self.host)):
            raise ValueError("refusing to send an SMTP password without STARTTLS")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_s: float = 30.0
    max_s: float = 3600.0
    claim_s: float = 120.0  # a "sending" message older than this is taken over

    def delay(self, attempt: int) -> timedelta:
        return timedelta(seconds=min(self.max_s, self.base_s * 2 ** max(0, attempt - 1)))


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    message_id: str
    recipient: str
    subject: str
    body: str
    created_at: datetime
    attempt: int


class _Transient(Exception):
    """Try again later (4xx, connection refused or dropped)."""


class _Permanent(Exception):
    """Never going to work (5xx)."""


class EmailOutbox:
    def __init__(self, session_factory: sessionmaker[Session], settings: SmtpSettings,
                 retry: RetryPolicy | None = None, clock=utcnow) -> None:  # type: ignore[no-untyped-def]
        self._sf = session_factory
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self._clock = clock
        self._smtp: smtplib.SMTP | None = None

    # -- the loop --------------------------------------------------------------------------
    def deliver_due(self, limit: int = 100) -> DeliveryReport:
        """Send what is due now; stops at the first transient failure (the server is sick)."""
        report = DeliveryReport()
        try:
            for _ in range(limit):
                claimed = self._claim_next(self._clock())
                if claimed is None:
                    break
                try:
                    self._send(claimed)
                except _Transient as exc:
                    failed = self._mark_retry(claimed, str(exc), permanent=False)
                    report.failed += failed
                    report.retried += not failed
                    self._disconnect()
                    break
                except _Permanent as exc:
                    self._mark_retry(claimed, str(exc), permanent=True)
                    report.failed += 1
                    self._disconnect()
                    continue
                self._mark_sent(claimed)
                report.sent += 1
        finally:
            self._disconnect()
        return report

    async def run(self, stop: asyncio.Event, interval_s: float = 5.0) -> None:
        """For the hub: deliver in a worker thread every ``interval_s`` until ``stop`` is set."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.deliver_due)
            except Exception:  # the database may be briefly unavailable: try again later
                log.exception("e-mail outbox delivery failed")
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except TimeoutError:
                pass

    # -- state transitions -----------------------------------------------------------------
    def _claim_next(self, now: datetime) -> _Claimed | None:
        due = or_(
            and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now),
        )
        with self._sf() as s, s.begin():
            for row in s.scalars(select(OutboxMessage)
                                 .where(OutboxMessage.channel == OutboxChannel.EMAIL, due)
                                 .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                                 .limit(5)):
                attempt = row.attempts + 1
                won = s.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id, OutboxMessage.attempts == row.attempts, due)
                    .values(status=OutboxStatus.SENDING, attempts=attempt,
                            claimed_until=now + timedelta(seconds=self.retry.claim_s))
                    .execution_options(synchronize_session=False)).rowcount
                if won == 1:
                    return _Claimed(row.id, row.message_id, row.recipient, row.subject,
                                    row.body, row.created_at, attempt)
        return None

    def _mark_sent(self, c: _Claimed) -> None:
        now = self._clock()
        with self._sf() as s, s.begin():
            s.execute(update(OutboxMessage).where(OutboxMessage.id == c.id)
                      .values(status=OutboxStatus.SENT, sent_at=now, claimed_until=None,
                              last_error=""))
            s.add(DeliveryAttempt(message_id=c.id, attempt=c.attempt, at=now, outcome="sent"))

    def _mark_retry(self, c: _Claimed, error: str, permanent: bool) -> bool:
        """Back to pending with back-off, or failed; True when it failed for good."""
        now = self._clock()
        failed = permanent or c.attempt >= self.retry.max_attempts
        with self._sf() as s, s.begin():
            s.execute(update(OutboxMessage).where(OutboxMessage.id == c.id).values(
                status=OutboxStatus.FAILED if failed else OutboxStatus.PENDING,
                next_attempt_at=now + self.retry.delay(c.attempt), claimed_until=None,
                last_error=error[:2000]))
            s.add(DeliveryAttempt(message_id=c.id, attempt=c.attempt, at=now,
                                  outcome="failed" if failed else "retry", detail=error[:2000]))
        log.info("e-mail %s attempt %d: %s (%s)", c.message_id, c.attempt, error,
                 "giving up" if failed else "will retry")
        return failed

    # -- SMTP ------------------------------------------------------------------------------
    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            st = self.settings
            smtp = smtplib.SMTP(st.host, st.port, timeout=st.timeout_s)
            try:
                if st.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if st.username:
                    smtp.login(st.username, st.password or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def _disconnect(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _send(self, c: _Claimed) -> None:
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = c.recipient
        msg["Subject"] = c.subject
        msg["Message-ID"] = c.message_id
        msg["Date"] = format_datetime(c.created_at)
        msg.set_content(c.body)
        try:
            self._connection().send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise (_Transient if all(400 <= code < 500 for code in codes) else _Permanent)(
                f"recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            kind = _Permanent if 500 <= exc.smtp_code < 600 else _Transient
            raise kind(f"{exc.smtp_code} {text}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
