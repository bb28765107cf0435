"""Messages waiting for their transaction to commit.

A service that must tell someone something (an activation link, a code) adds the message to the ``Outbox`` it was
handed, inside the transaction; the caller that owns the transaction flushes the outbox *after* the commit::

    outbox = Outbox()
    with database.session() as session:
        create_user(session, settings, document, outbox=outbox)
    outbox.flush(sender)                  # reached only when the commit succeeded

So a creation that rolls back sends nothing (no link to an account that does not exist), and a mail server that is
down cannot hold a database transaction open for its 10-second timeout. The price is that a crash between commit
and send loses the message; the commands that create such messages can issue a new one (``idp users
send-activation``).
"""

from __future__ import annotations

from idp.notify.email import EmailMessage, EmailSender


class Outbox:
    def __init__(self) -> None:
        self._pending: list[EmailMessage] = []

    def add(self, message: EmailMessage) -> None:
        self._pending.append(message)

    @property
    def pending(self) -> tuple[EmailMessage, ...]:
        return tuple(self._pending)

    def flush(self, sender: EmailSender) -> None:
        """Send every pending message, oldest first.

        A message leaves the outbox once sent; on the first failure ``DeliveryFailed`` propagates and the message
        that failed, with those after it, stays pending (the caller may retry or report them).
        """
        while self._pending:
            sender.send(self._pending[0])
            self._pending.pop(0)

    def discard(self) -> None:
        """Forget every pending message (the work that produced them was abandoned)."""
        self._pending.clear()
