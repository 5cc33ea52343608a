"""URLs: row ids in them."""

from flask import Flask
from werkzeug.routing import IntegerConverter

# Ids are sa.Integer columns: 32 bits on PostgreSQL, 64 on SQLite. An id
# past what the smaller holds names no row on either, and would make the
# database raise instead of finding nothing.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<id:name>``: a row id, 1 to MAX_ID; any other number is a 404."""

    def __init__(self, map, **kwargs):
        super().__init__(map, min=1, max=MAX_ID, **kwargs)


def init_app(app: Flask) -> None:
    # Before the blueprints, whose rules use it.
    app.url_map.converters["id"] = IdConverter
