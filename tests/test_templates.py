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


class Account:
    name = "<alice>"
    labels = {"home": "Home & away"}

    def greet(self, whom):
        return f"hi {whom}"


class Items:
    """Has an item where it has no attribute: Jinja's dot falls back to it."""

    def __getitem__(self, key):
        return f"item {key}"


@jinja2.pass_context
def from_context(context, name):
    return context.get(name, "not set")


class Counter:
    @jinja2.pass_context
    def __call__(self, context):
        return context.get("v", "no v")


def exhausted():
    raise StopIteration


LOOKUPS = {
    "account": Account(),
    "items": Items(),
    "mapping": {"account": Account(), "key": "value"},
    "from_context": from_context,
    "counter": Counter(),
    "exhausted": exhausted,
}
LOOKUP_TEMPLATES = [
    "{{ account.name }} {{ account.labels.home }} {{ mapping.account.name }}",
    "{{ items.anything }} {{ mapping.key }} [{{ account.nothing }}] [{{ mapping.nothing }}]",
    "{{ account.greet(account.name) }} {{ account.name.upper() }} {{ mapping.items() | list }}",
    "{{ (account.labels | dictsort)[0][1] }} {{ [account, account][1].name }}",
    "{{ from_context('account').name }} {{ from_context('nowhere') }}",
    "{% for v in [1, 2] %}{% set w = v * 10 %}{{ from_context('w') }} {{ counter() }} "
    "{{ loop.index }}{% endfor %}",
    "{% macro row(a) %}<td>{{ a.name }}{{ caller() }}</td>{% endmacro %}"
    "{% call row(account) %}{{ account.labels.home }}{% endcall %}",
    "{% block body %}{% set b = 'in block' %}{{ from_context('b') }}{% endblock %}",
    "[{{ exhausted() }}] {{ account.greet }}",
]


@pytest.mark.parametrize("source", LOOKUP_TEMPLATES)
def test_attributes_and_calls_resolve_as_in_jinjas_own_compiler(app, source):
    jinjas = jinja2.Environment(autoescape=True)
    with app.test_request_context():
        ours = app.jinja_env.from_string(source).render(LOOKUPS)
    assert ours == jinjas.from_string(source).render(LOOKUPS)


def test_an_attribute_of_an_undefined_name_fails_as_in_jinja(app):
    source = "{{ nowhere.name }}"
    with pytest.raises(jinja2.UndefinedError) as jinjas:
        jinja2.Environment(autoescape=True).from_string(source).render()
    with app.test_request_context(), pytest.raises(jinja2.UndefinedError) as ours:
        app.jinja_env.from_string(source).render()
    assert str(ours.value) == str(jinjas.value)
