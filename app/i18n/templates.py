"""Templates compiled once for each language, with their messages translated.

A message said at render time costs a call through Jinja's context on every
page (a few microseconds, and a page says dozens: about a tenth of the
signed-in page). Yet nearly every message in a template is a constant,
``{{ _("Home") }}``. So each language has its own compiled templates (an
overlay of the app's Jinja environment), in which a constant message is
already translated text, and a message with values, ``_("Hi, %(name)s!",
name=...)``, is already translated and only has its values put in per page.
Plural messages (``ngettext``) depend on their number, so are said per page.
"""

import threading
from types import BuiltinFunctionType, FunctionType, MethodType

import flask.templating
import jinja2.runtime
import markupsafe
from flask import current_app, has_request_context
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, optimizeconst
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from . import catalog, fill_in, reader

MESSAGE_FUNCTIONS = {"_", "gettext"}
# A message already translated, whose values are put in per page.
FILL_IN = "_fill_in"
# Jinja's default number of compiled templates to keep.
CACHE_SIZE = 400


class OneYieldPerOutput(CodeGenerator):
    """Jinja's code generator, but a run of output with a value in it, such as
    ``<a href="{{ url }}">``, is joined and yielded once, not yielded piece by
    piece. Each piece a block yields is handed up through
    every template around it, one generator step each (a third of /login's
    calls)."""

    def visit_Output(self, node: nodes.Output, frame) -> None:
        # Already into a buffer (a macro, a {% set %} block), or output that
        # {% extends %} may discard: as Jinja does. Three pieces or more gain.
        as_jinja_does = frame.buffer is not None or frame.require_output_check
        constant = all(isinstance(n, nodes.TemplateData | nodes.Const) for n in node.nodes)
        if as_jinja_does or constant or len(node.nodes) < 3:
            super().visit_Output(node, frame)
            return
        buffered = frame.copy()
        buffered.buffer = "t_output"
        self.writeline("t_output = []")
        super().visit_Output(node, buffered)
        self.writeline("yield concat(t_output)")

    # A value put into the page is escaped by MarkupSafe's C function when it
    # is a str, as markupsafe.escape itself does, without the five Python
    # calls around it (a post's page escapes two hundred values). Anything
    # else (Markup, numbers, lazy messages) goes to markupsafe.escape. Output
    # is joined into the page, so the plain str it gives is as good as Markup.
    def _escapes_text(self, frame, finalize) -> bool:
        return frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src is None

    def _output_child_pre(self, node, frame, finalize) -> None:
        if self._escapes_text(frame, finalize):
            self.write("(environment.escape_text(t_value) if type(t_value := ")
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node, frame, finalize) -> None:
        if self._escapes_text(frame, finalize):
            self.write(") is str else escape(t_value))")
        else:
            super()._output_child_post(node, frame, finalize)

    # ``f.label.text`` is Python's getattr, in C, and only when the object has
    # no such attribute Jinja's environment.getattr (an item, else undefined),
    # on the object already found: Jinja calls its Python method for every
    # dot (a form field's macro has a dozen). A dotted chain nests: each level
    # is done with t_of and t_attr before the level around it sets them.
    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame) -> None:
        if self.environment.is_async or self.environment.sandboxed:
            super().visit_Getattr(node, frame)
            return
        self.write("(t_attr if (t_attr := getattr((t_of := ")
        self.visit(node.node, frame)
        attr = repr(node.attr)
        self.write(f"), {attr}, missing)) is not missing else environment.getattr(t_of, {attr}))")


# What a template may call that takes no context, as ``Context.call`` finds:
# their ``__call__`` never carries Jinja's pass_context mark.
PLAIN_CALLABLES = frozenset({FunctionType, BuiltinFunctionType, MethodType, jinja2.runtime.Macro})


class Context(jinja2.runtime.Context):
    """Jinja's template context, but a call to a plain function or a macro
    without Jinja's pass_context mark (nearly every call a page makes: its
    macros, url_for, csrf_token) goes straight to it. Jinja looks for the
    mark with four Python calls on each."""

    @jinja2.runtime.internalcode
    def call(__self, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own names)
        if __debug__:
            __traceback_hide__ = True  # noqa: F841
        if type(__obj) not in PLAIN_CALLABLES or getattr(__obj, "jinja_pass_arg", None):
            return super().call(__obj, *args, **kwargs)
        if "_loop_vars" in kwargs:
            del kwargs["_loop_vars"]
        if "_block_vars" in kwargs:
            del kwargs["_block_vars"]
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class Environment(flask.templating.Environment):
    """The app's Jinja environment: a page's templates are those of its
    language. Outside a request (``render_template_string`` in a shell), the
    templates are compiled as written and say their messages when rendered."""

    code_generator_class = OneYieldPerOutput
    context_class = Context
    escape_text = staticmethod(markupsafe._escape_inner)
    language: str | None = None

    def __init__(self, app, **options):
        options["extensions"] = [*options.get("extensions", ()), TranslatedMessages]
        super().__init__(app, **options)
        self.globals[FILL_IN] = fill_in
        self.languages: dict[str, Environment] = {}
        self.languages_lock = threading.Lock()

    def make_globals(self, d):
        # A dict, not Jinja's ChainMap over the environment's globals: each
        # page copies its template's globals into its context, and each
        # {% import %} compares them with the page's, both in Python through
        # a ChainMap (about 200 calls a page). Every global is set while the
        # app is made, before a template loads, as Jinja asks of globals.
        return {**self.globals, **(d or {})}

    def in_language(self, language: str) -> "Environment":
        try:
            return self.languages[language]
        except KeyError:
            with self.languages_lock:
                if language not in self.languages:
                    # Shares the loader, globals and filters; not the compiled templates.
                    overlay = self.overlay(cache_size=CACHE_SIZE)
                    overlay.language = language
                    self.languages[language] = overlay
                return self.languages[language]

    def _for_page(self) -> "Environment":
        if self.language is None and has_request_context():
            return self.in_language(reader().locale)
        return self

    def get_template(self, name, parent=None, globals=None):
        env = self._for_page()
        if env is self:
            return super().get_template(name, parent, globals)
        return env.get_template(name, parent, globals)

    def select_template(self, names, parent=None, globals=None):
        env = self._for_page()
        if env is self:
            return super().select_template(names, parent, globals)
        return env.select_template(names, parent, globals)


class TranslatedMessages(Extension):
    """Translate each message with a constant text when the template is
    compiled, in the environment's language."""

    def filter_stream(self, stream: TokenStream):
        language = getattr(self.environment, "language", None)
        if language is None:
            yield from stream
            return
        translations = catalog(current_app, language)
        previous = None
        for token in stream:
            if (
                token.type == "name"
                and token.value in MESSAGE_FUNCTIONS
                and (previous is None or previous.type != "dot")
                and stream.current.type == "lparen"
                and stream.look().type == "string"
            ):
                yield from self._translated(token, stream, translations)
                previous = None
                continue
            previous = token
            yield token

    def _translated(self, name: Token, stream: TokenStream, translations):
        lparen = next(stream)
        message = next(stream)
        if stream.current.type not in ("rparen", "comma"):  # not a plain message
            yield from (name, lparen, message)
            return
        translated = translations.gettext(message.value)
        line = name.lineno
        if stream.current.type == "rparen" and "%" not in translated:
            # ("Startseite"|safe): Jinja folds it into the page's text.
            next(stream)
            yield lparen
            yield Token(line, "string", translated)
            yield Token(line, "pipe", "|")
            yield Token(line, "name", "safe")
            yield Token(line, "rparen", ")")
        else:  # its values (or a "%%") are put in per page
            yield Token(line, "name", FILL_IN)
            yield lparen
            yield Token(line, "string", translated)
