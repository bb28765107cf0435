"""HTTP: routers, forms, exception handlers, templates. No SQL, no rules: it calls the services and the protocol."""
