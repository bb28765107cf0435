"""The contract between the protocol and the pages: an ordered list of named checks turns a validated authorization
request into a prompt with reasons (``no_session``, ``max_age``, ``acr_not_satisfied``, ``terms_pending`` ...); a
page finishes the interaction with {account, acr, amr, auth_time} and the flow resumes."""
