"""The least a login page can cost in Flask, for comparison with the app's /login.

What any Flask login page with a CSRF-protected form must do: start a session,
put Flask-WTF's CSRF token in it and in the page, render the page with Jinja,
and send it with the app's security headers. Nothing else: no Flask-Login, no
form object, no database. bench/run.py serves it beside bare Flask, with the
app's own /login HTML in the file FLOOR_PAGE names.
"""

import os
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import generate_csrf

from app.security import CONTENT_SECURITY_POLICY

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]
page = app.jinja_env.from_string(Path(os.environ["FLOOR_PAGE"]).read_text())


@app.route("/login")
def login():
    return page.render(csrf_token=generate_csrf), HEADERS
