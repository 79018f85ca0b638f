"""The WSGI entry point for gunicorn: `gunicorn portal.wsgi:app`. Each worker builds its read
copy of the transparency log in the background as it starts (see services/transparency_log),
and sweeps jobs whose runner died (see portal/jobs.py)."""

import threading

from portal import create_app
from portal.jobs import start_janitor
from portal.services.transparency_log import warm

app = create_app()
threading.Thread(target=warm, args=(app,), name="warm-transparency-log", daemon=True).start()
start_janitor(app)
