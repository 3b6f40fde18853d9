"""gunicorn's settings: read by every `gunicorn clinic.wsgi` started in this folder (gunicorn
looks for ./gunicorn.conf.py), named explicitly by `make run` with DEBUG off
(treatments/management/commands/run_clinic.py); elsewhere pass `-c /path/to/gunicorn.conf.py`.

The access and error logs go to standard output and standard error (the process manager
keeps them), written through clinic/gunicorn_logger.py: link tokens, the calendar feed's
token and every query string become "…" (README, Operations: Logs).
"""

logger_class = "clinic.gunicorn_logger.RedactingLogger"
accesslog = "-"
errorlog = "-"
