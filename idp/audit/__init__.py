"""The audit trail: security events written to the ``audit_events`` table and the ``idp.audit`` logger."""
