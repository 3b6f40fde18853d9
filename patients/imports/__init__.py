"""Importing patients from the clinic's previous system: a CSV uploaded by a manager, its
columns mapped, a dry run of every row, then the import as a Celery task (issue 14 item 2)."""
