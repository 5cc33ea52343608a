"""The app's Jinja environment (app/i18n/templates.py) compiles templates its
own way; what they render must be what Jinja's own compiler renders."""

import jinja2
import pytest
from markupsafe import Markup

from app.i18n import lazy_gettext


class Html:
    def __html__(self):
        return "<em>own markup</em>"


VALUES = {
    "text": "<script>alert('x') & \"y\"</script>",
    "markup": Markup("<b>bold</b>"),
    "number": 42,
    "nothing": None,
    "lazy": lazy_gettext("Home"),
    "html": Html(),
}
TEMPLATES = [
    "<p>{{ text }}</p><p>{{ markup }}</p><p>{{ number }}{{ nothing }}</p>",
    '<a href="{{ text }}" title="{{ lazy }}">{{ html }}</a>',
    "{% macro show(v) %}<i>{{ v }}</i>{% endmacro %}"
    "{% for v in [text, markup, number] %}{{ show(v) }}{% endfor %}",
    "{% set block %}<q>{{ text }}</q>{% endset %}{{ block }} {{ block | length }}",
    "{% autoescape false %}<raw>{{ text }}</raw>{% endautoescape %}<p>{{ text }}</p>",
    "{{ text | upper }} {{ text ~ markup }} {{ (text if number else markup) }}",
]


@pytest.mark.parametrize("source", TEMPLATES)
def test_a_template_renders_as_jinjas_own_compiler_renders_it(app, source):
    jinjas = jinja2.Environment(autoescape=True)
    with app.test_request_context():
        assert app.jinja_env.from_string(source).render(VALUES) == (
            jinjas.from_string(source).render(VALUES)
        )


def test_text_put_into_a_page_is_escaped(app):
    with app.test_request_context():
        page = app.jinja_env.from_string('<a title="{{ text }}">{{ text }}</a>').render(VALUES)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;) &amp; &#34;y&#34;&lt;/script&gt;" in page
