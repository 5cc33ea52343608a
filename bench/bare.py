"""The fastest thing the app could be: bare Flask saying Hello, World!"""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"
