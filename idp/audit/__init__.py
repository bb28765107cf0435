"""The audit trail: security events written to the ``audit_events`` table and the ``idp.audit`` logger."""

from idp.audit.writer import CLI, AuditContext, record

__all__ = ["CLI", "AuditContext", "record"]
