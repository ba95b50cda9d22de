"""Werkzeug's URL builders, compiled once per test process instead of once per app.

Each test builds an app of its own, and werkzeug compiles two Python functions for every URL
rule as the app registers it (`Rule._compile_builder`: an AST, then `compile()`): about two
thirds of `create_app`'s time, for functions that come out the same in every app. A builder
depends only on the rule's parts and defaults and reads its converters from the rule it is
bound to when called, so one compiled for an equal rule serves them all. Tests only: a
server builds its app once.
"""

from werkzeug.routing import Rule

_original = Rule._compile_builder
_compiled: dict = {}


def _compile_builder_once(self: Rule, append_unknown: bool = True):
    defaults = tuple(sorted((str(k), repr(v)) for k, v in (self.defaults or {}).items()))
    key = (self.rule, self.host, self.subdomain, tuple(self._trace), defaults, append_unknown)
    if key not in _compiled:
        _compiled[key] = _original(self, append_unknown)
    return _compiled[key]


def compile_once() -> None:
    Rule._compile_builder = _compile_builder_once
