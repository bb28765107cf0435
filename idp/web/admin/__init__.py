"""The admin API (SPEC §2): establishments, accounts, référents and clients under ``/admin/api/v1/``.

A FastAPI sub-application mounted on the main one (``mount_admin_api``), so that it has its own OpenAPI document
(``/admin/api/v1/openapi.json``) and its own error handlers (JSON everywhere, ``idp.web.admin.errors``) while the main
app's middleware (request id, metrics, security headers) still wraps it. Callers and what they may do:
``idp.web.admin.auth`` and ``idp.web.admin.access``.
"""
