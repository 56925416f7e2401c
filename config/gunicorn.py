"""gunicorn settings, read from the environment so one command works in compose and in tests."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
accesslog = "-"
# gunicorn 27 opens a control socket under $HOME by default; voc does not use it, and containers may
# have no writable home.
control_socket_disable = True
