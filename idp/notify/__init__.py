"""Outbound messages: ``EmailSender`` and ``SmsSender`` protocols with SMTP / HTTP gateway / log implementations."""
