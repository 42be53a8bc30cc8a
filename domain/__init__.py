"""The words every layer above the database shares: the errors a rule raises (errors.py) and the events a
workflow announces (events.py). Nothing here imports more than `db/`."""
