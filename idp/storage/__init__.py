"""Every query, one module per aggregate. Services call these functions with the request's session; nothing here
commits (the request or CLI command owns the transaction)."""
