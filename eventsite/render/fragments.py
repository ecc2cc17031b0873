"""`{% fragment "partials/x.html" with s=s %}`: an include whose markup is made once per input.

Many pages show the same pieces: every day, track, room and speaker page lists the same session
items, and every page has the same footer. A fragment renders like `{% include %}` (it sees the
page's context plus the `with` variables) but keeps the markup, keyed by the values of every
variable the template can read: the names its source (and the templates it includes) uses, plus
`root`, which `url()` and `srcset()` read from the context. Globals are the same for every page
of one view, so a name whose value is the global's is left out of the key; `reset()` forgets
everything when the view changes.

`{% fragment "partials/x.html" once with ... %}` says each input is shown once per build (a
session's box in its day's grid): a build then neither keys nor keeps that markup (10,000
sessions: 6 MB of markup and its keys); `eventsite serve` still keeps it, so an edit remakes
only the pieces it changed.

Entities compare by identity, so a key holds the very objects of this build. A value that cannot
be hashed (a list, a mutable dataclass) makes that fragment render every time: slower, never wrong.

An environment that records what each page reads (`eventsite.render.tracking`, for incremental
rebuilds) has a `recorder`; a fragment keeps the reads of its first rendering and replays them on
every reuse, so a page records the same inputs whether the markup was made or reused. It also
tells the recorder which fragments a page output at its top level (not inside another fragment),
and which of the page's reads came only from fragments: `eventsite serve` splices a page whose
changed inputs only its fragments read (`tracking.TrackingRenderer.splice`). `streams(name)` says
whether a page template outputs each top-level fragment exactly once, where it is rendered.
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any, ClassVar

import jinja2
from jinja2 import meta, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context, new_context
from markupsafe import Markup

# context variables read by context functions (`url`, `srcset`) rather than by name
IMPLICIT_NAMES = ("root",)
_MISSING = object()
_UNCACHEABLE = None  # names of a template whose inputs cannot be known statically
# tags whose body is rendered into a string first: what they output may be copied or changed
_BUFFERING = (nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.AssignBlock)
# tags that pull in another template's output
_PULLS = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
# names that render blocks into strings (`self.x()`, `super()`)
_BLOCK_CALLERS = frozenset({"self", "super"})

Key = tuple[Any, ...]
Entry = tuple[Markup, frozenset[Any]]


class FragmentExtension(Extension):
    """The `fragment` tag, and the markup it made for this environment's current view."""

    tags: ClassVar[set[str]] = {"fragment"}

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        self._names: dict[str, tuple[str, ...] | None] = {}
        self._streams: dict[str, bool] = {}
        self._markup: dict[Key, Entry] = {}

    def reset(self) -> None:
        """Forget the markup (the view changed); what each template reads stays known."""
        self._markup.clear()

    def entries(self) -> dict[Key, Entry]:
        """The markup kept for the current view, by key (`eventsite serve` carries over the
        entries whose recorded inputs did not change: `tracking.TrackingRenderer`)."""
        return self._markup

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        name = parser.parse_expression()
        once = parser.stream.skip_if("name:once")
        variables: list[nodes.Keyword] = []
        if parser.stream.skip_if("name:with"):
            while parser.stream.current.type != "block_end":
                if variables:
                    parser.stream.expect("comma")
                key = parser.stream.expect("name").value
                parser.stream.expect("assign")
                variables.append(nodes.Keyword(key, parser.parse_expression(), lineno=lineno))
        arguments: list[nodes.Expr] = [nodes.ContextReference(), name, nodes.Const(once)]
        call = self.call_method("_render", arguments, variables, lineno=lineno)
        return nodes.Output([call], lineno=lineno)

    def _render(self, context: Context, name: str, once: bool, /, **variables: Any) -> Markup:
        recorder = getattr(self.environment, "recorder", None)
        if once and recorder is None:  # shown once in this build: nothing to reuse
            return self._make(context, name, variables)[0]
        key = self._key(context, name, variables)
        try:
            entry = self._markup.get(key) if key is not None else None
        except (TypeError, jinja2.UndefinedError):  # unhashable, or an undefined `with` value
            key, entry = None, None
        if entry is None:
            entry = self._make(context, name, variables)
            if key is not None:
                self._markup[key] = entry
        else:
            _replay(self.environment, entry[1])
        if recorder is not None and recorder.top_level is not None:
            recorder.top_level.append(entry)
        return entry[0]

    def entry_for(self, key: Key) -> Entry:
        """The markup of `key` for the current view, made again from the key's values when it
        is not kept (the key holds every name the template can read that is not a global)."""
        entry = self._markup.get(key)
        if entry is None:
            template = self.environment.get_template(key[0])
            context = template.new_context({variable: value for variable, _, value in key[1:]})
            entry = self._markup[key] = self._make(context, key[0], {})
        return entry

    def _key(self, context: Context, name: str, variables: dict[str, Any]) -> Key | None:
        names = self._names.get(name, _MISSING)  # inlined `_names_read`: called per fragment
        if names is _MISSING:
            names = self._names_read(name)
        if names is None:
            return None
        global_value = self.environment.globals.get
        # what `resolve_or_missing` looks in, after the `with` variables
        own, parent = context.vars.get, context.parent.get
        key: list[Any] = [name]
        append = key.append
        for variable in names:
            value = variables.get(variable, _MISSING)
            if value is _MISSING:
                value = own(variable, _MISSING)
                if value is _MISSING:
                    value = parent(variable, _MISSING)
                    if value is global_value(variable, _MISSING):
                        continue  # the same for every page of this view
            # the type too: Markup("a") == "a", and 1 == True, but they render differently
            append((variable, type(value), value))
        return tuple(key)

    def _make(self, context: Context, name: str, variables: dict[str, Any]) -> Entry:
        """Render like `{% include %}` does, noting what the rendering read."""
        recorder = getattr(self.environment, "recorder", None)
        outer = recorder.enter_fragment() if recorder is not None else None
        try:
            template = self.environment.get_template(name)
            inner = template_context(template, context.get_all(), True, variables)
            markup = Markup("".join(template.root_render_func(inner)))
        finally:
            read: frozenset[Any] = frozenset()
            if recorder is not None:
                read = recorder.leave_fragment(outer)
        _replay(self.environment, read)
        return markup, read

    def streams(self, name: str) -> bool:
        """Whether template `name` outputs each fragment it renders at its top level once, as
        it is (not into a variable, a macro or a block rendered as a string)."""
        if name not in self._streams:
            self._streams[name] = self._check_streams(name, set())
        return self._streams[name]

    def _check_streams(self, name: str, seen: set[str]) -> bool:
        if name in seen:
            return True
        seen.add(name)
        env = self.environment
        assert env.loader is not None
        tree = env.parse(env.loader.get_source(env, name)[0])
        if any(node.name in _BLOCK_CALLERS for node in tree.find_all(nodes.Name)):
            return False
        if any(self._output_inside(node) for node in tree.find_all(_BUFFERING)):
            return False
        # the fragments' own templates are rendered into their markup: only pulled-in ones count
        referenced = list(meta.find_referenced_templates(tree))
        return all(isinstance(r, str) and self._check_streams(r, seen) for r in referenced)

    def _output_inside(self, node: nodes.Node) -> bool:
        """Whether a buffering tag holds a fragment or pulls in a template (which might)."""
        return bool(self._fragments_in(node)) or any(True for _ in node.find_all(_PULLS))

    def _names_read(self, name: str) -> tuple[str, ...] | None:
        if name not in self._names:
            self._names[name] = self._find_names(name, set())
        return self._names[name]

    def _find_names(self, name: str, seen: set[str]) -> tuple[str, ...] | None:
        """Context variables a template and the templates it pulls in may read."""
        if name in seen:
            return ()
        seen.add(name)
        env = self.environment
        assert env.loader is not None
        source = env.loader.get_source(env, name)[0]
        tree = env.parse(source)
        # every name the template loads, its own locals included (they only make the key longer):
        # `find_undeclared_variables` would leave out names of globals, which a page could shadow
        names = {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}
        names.update(IMPLICIT_NAMES)
        for referenced in [*meta.find_referenced_templates(tree), *self._fragments_in(tree)]:
            if not isinstance(referenced, str):
                return _UNCACHEABLE
            inner = self._find_names(referenced, seen)
            if inner is None:
                return _UNCACHEABLE
            names.update(inner)
        return tuple(sorted(names))

    def _fragments_in(self, tree: nodes.Node) -> list[str | None]:
        found: list[str | None] = []
        for call in tree.find_all(nodes.Call):
            target = call.node
            if isinstance(target, nodes.ExtensionAttribute) and target.identifier == (
                self.identifier
            ):
                name = call.args[1]
                found.append(name.value if isinstance(name, nodes.Const) else None)
        return found


def template_context(
    template: jinja2.Template,
    variables: dict[str, Any],
    shared: bool = False,
    local: dict[str, Any] | None = None,
) -> Context:
    """`template.new_context(variables, shared, local)`, with the template's globals (a
    ChainMap of its own and the environment's, which Jinja iterates in Python for every
    context: twice per page, once per fragment made) first merged into a dict the same way."""
    found = template.globals
    if isinstance(found, ChainMap):
        merged: dict[str, Any] = {}
        for mapping in reversed(found.maps):  # the first map that has a name wins
            merged.update(mapping)
        found = merged
    return new_context(
        template.environment, template.name, template.blocks, variables, shared, found, local
    )


def _replay(environment: jinja2.Environment, read: frozenset[Any]) -> None:
    recorder = getattr(environment, "recorder", None)
    if recorder is not None:
        recorder.replay(read)


def reset_fragments(environment: jinja2.Environment) -> None:
    for extension in environment.extensions.values():
        if isinstance(extension, FragmentExtension):
            extension.reset()
