"""Metrics (declared in one module), JSON logging with request ids, and ASGI middleware. A leaf: imports no layer."""
