"""The core: domain model, phone numbers, compliance, caller ID, the storage port and
the services. Imports only the standard library, phonenumbers and pycountry (no Slack,
no TinyDB, no handlers or storage): the composition root (``bot/``) wires it."""
