"""Customer e-mail from the hub: ROUTE's ``EmailOutbox`` driven on the hub's loop.

Ticket changes write their e-mails to the outbox in the same transaction (``app.notify``);
this only delivers them. With ``smtp_host`` set the hub runs ``EmailOutbox.run`` until it
stops; without it mail stays in the outbox (nothing is lost: set the host later and the
backlog goes out) and the hub says once that e-mail delivery is off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.orm import Session, sessionmaker

from app.config import Config
from app.notify.smtp import EmailOutbox, SmtpSettings

log = logging.getLogger(__name__)

MAIL_EVERY_S = 5.0
STOP_WAIT_S = 15.0  # one SMTP exchange in flight (its own 10 s timeout) may finish


def smtp_settings(config: Config) -> SmtpSettings | None:
    """The declared ``smtp_*`` settings, or None when no host is set. Raises ValueError
    for a combination that would send mail or a password in clear off loopback."""
    if not config.smtp_host:
        return None
    return SmtpSettings(host=config.smtp_host, port=int(config.smtp_port),
                        sender=config.smtp_sender, starttls=bool(config.smtp_starttls),
                        username=config.smtp_username or None,
                        password=config.smtp_password or None)


class Mailer:
    """Start with ``start()`` on the hub's loop; ``await stop()`` at hub stop."""

    def __init__(self, session_factory: sessionmaker[Session], settings: SmtpSettings | None,
                 interval_s: float | None = None) -> None:
        self._sf = session_factory
        self.settings = settings
        self.interval_s = MAIL_EVERY_S if interval_s is None else interval_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.settings is None:
            log.info("e-mail delivery is off (no smtp_host): customer e-mails stay in the "
                     "outbox")
            return
        outbox = EmailOutbox(self._sf, self.settings)
        self._task = asyncio.create_task(outbox.run(self._stop, self.interval_s),
                                         name="hub-mail")
        log.info("e-mail delivery through %s:%s (STARTTLS %s)", self.settings.host,
                 self.settings.port, "on" if self.settings.starttls else "off")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def stopped_cleanly(self) -> bool:
        """The delivery loop ended by ``stop()`` (not cancelled, not failed)."""
        task = self._task
        return (task is not None and task.done() and not task.cancelled()
                and task.exception() is None)

    async def stop(self) -> None:
        """Let the delivery round in flight finish (bounded), then end the loop."""
        task = self._task
        if task is None or task.done():
            return
        self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_WAIT_S)
        except TimeoutError:
            log.warning("e-mail delivery did not stop within %.0f s; cancelled", STOP_WAIT_S)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
