"""Themes: a folder with `templates/` and `static/`, falling back to the built-in theme.

A user theme may hold only the templates or static files it changes; every other file comes
from the theme it extends (`theme.json`: {"extends": "default"}; default: the built-in theme).
Templates can name a parent explicitly: `{% extends "default/base.html" %}`.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from markupsafe import escape

from eventsite import __version__
from eventsite.caches import cache_folder
from eventsite.errors import ThemeError
from eventsite.render.fragments import FragmentExtension

DEFAULT_THEME = "default"
# of what `OutputCodeGenerator` and the `fragment` tag compile to: in the cache folder name
CODE_VERSION = "4"

try:  # the C function behind `markupsafe.escape`: a str's escaped text, as a str
    from markupsafe import _escape_inner as escape_inner
except ImportError:  # another markupsafe: the same text through the public function

    def escape_inner(value: str) -> str:
        return str(escape(value))


class OutputCodeGenerator(CodeGenerator):
    """Jinja's code generator, but a `{{ value }}` that is a plain str is escaped in C.

    `escape()` wraps every output value in a Markup object, which the page's join throws away;
    pages output about a million values at 10,000 sessions. Markup is output as it is; anything
    else (numbers, undefined values, str subclasses) still goes through `escape()`: the same
    text either way.

    For Jinja's own environment class (see `_plain_environment`), also: attribute reads without
    a Python call, the `fragment` tag called directly, and an output's pieces yielded as one.
    """

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self.writeline(f"from {__name__} import escape_inner")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape or finalize.src:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("(escape_inner(_out) if type(_out := ")

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape or finalize.src:
            super()._output_child_post(node, frame, finalize)
            return
        # Markup is escaped already: `escape()` would copy it (a fragment's markup, each time)
        self.write(") is str else _out if type(_out) is Markup else escape(_out))")

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        """Consecutive outputs yielded as one joined string where the page's text is only
        joined (a chunk passes up through every enclosing template's generator)."""
        if frame.buffer is not None or not _plain_environment(self.environment):
            super().visit_Output(node, frame)
            return
        if frame.require_output_check:
            if self.has_known_extends:
                return
            self.writeline("if parent_template is None:")
            self.indent()
        finalize = self._make_finalize()
        body = self._output_body(node, frame, finalize)
        self.writeline("yield " if len(body) == 1 else "yield concat((")
        for item in body:
            if isinstance(item, list):
                self.write(self._output_const_repr(item))
            else:
                self._output_child_pre(item, frame, finalize)
                self.visit(item, frame)
                self._output_child_post(item, frame, finalize)
            if len(body) > 1:
                self.write(", ")
        if len(body) > 1:
            self.write("))")
        if frame.require_output_check:
            self.outdent()

    def _output_body(
        self, node: nodes.Output, frame: Frame, finalize: Any
    ) -> list[list[Any] | nodes.Expr]:
        """Jinja's grouping of an output's children: runs of constants, and expressions."""
        body: list[list[Any] | nodes.Expr] = []
        for child in node.nodes:
            try:
                if not (finalize.const or isinstance(child, nodes.TemplateData)):
                    raise nodes.Impossible()
                const = self._output_child_to_const(child, frame, finalize)
            except (nodes.Impossible, Exception):
                body.append(child)
                continue
            if body and isinstance(body[-1], list):
                body[-1].append(const)
            else:
                body.append([const])
        return body

    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        """`x.name` as the builtin `getattr` with a default, falling back to the environment's
        (an item, or undefined) only when there is no such attribute: the same value without a
        Python call per attribute read (pages read about 1.5 million at 10,000 sessions).

        Not for the tracking environment of `eventsite serve`: it records each read there."""
        if self.environment.is_async or not _plain_environment(self.environment):
            super().visit_Getattr(node, frame)
            return
        attribute = repr(node.attr)
        self.write("(_attr if (_attr := getattr(_owner := ")
        self.visit(node.node, frame)
        self.write(f", {attribute}, missing)) is not missing")
        self.write(f" else environment.getattr(_owner, {attribute}))")

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        """The `fragment` tag calls its extension directly: `Context.call` would look for
        `pass_context` markers on it and, in a loop, pop the loop's variables, per call."""
        if forward_caller or self.environment.is_async or not _is_fragment_call(node):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        context, *arguments = node.args
        assert isinstance(context, nodes.ContextReference)
        self.visit(node.node, frame)
        self.write("(context")
        direct = nodes.Call(node.node, arguments, node.kwargs, node.dyn_args, node.dyn_kwargs)
        self.signature(direct, frame)
        self.write(")")


def _plain_environment(environment: jinja2.Environment) -> bool:
    """Jinja's own environment class: a subclass may change `getattr` or read the output
    piece by piece (`eventsite.render.tracking`), so it gets Jinja's code for those."""
    return type(environment) is jinja2.Environment


def _is_fragment_call(node: nodes.Call) -> bool:
    target = node.node
    return (
        isinstance(target, nodes.ExtensionAttribute)
        and target.identifier == FragmentExtension.identifier
        and target.name == "_render"
        and bool(node.args)
        and isinstance(node.args[0], nodes.ContextReference)
    )


def builtin_themes_dir() -> Path:
    """Built-in themes: inside the installed package, or at the top of a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "themes", package.parent / "themes"):
        if (candidate / DEFAULT_THEME / "templates").is_dir():
            return candidate
    raise ThemeError("the built-in themes are missing from this installation")


def builtin_theme_names() -> list[str]:
    return sorted(p.name for p in builtin_themes_dir().iterdir() if (p / "templates").is_dir())


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    chain: tuple[Path, ...]  # most specific first

    @classmethod
    def load(cls, spec: str | None) -> Theme:
        """A built-in theme by name, or a theme folder by path."""
        spec = spec or DEFAULT_THEME
        chain: list[Path] = []
        current: Path | None = _locate(spec)
        while current is not None:
            if current in chain:
                raise ThemeError(f"theme {current} extends itself", file=str(current))
            chain.append(current)
            parent = _parent_of(current)
            current = None if parent is None else _locate(parent)
        default = builtin_themes_dir() / DEFAULT_THEME
        if default not in chain:
            chain.append(default)
        return cls(name=chain[0].name, chain=tuple(chain))

    def environment(
        self, factory: type[jinja2.Environment] = jinja2.Environment
    ) -> jinja2.Environment:
        loaders: list[jinja2.BaseLoader] = [
            jinja2.FileSystemLoader([str(p / "templates") for p in self.chain])
        ]
        prefixes = {p.name: jinja2.FileSystemLoader(str(p / "templates")) for p in self.chain}
        loaders.append(jinja2.PrefixLoader(prefixes))
        env = factory(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            auto_reload=False,
            # see `_plain_environment`: a subclass's templates compile to other code
            bytecode_cache=_bytecode_cache("" if factory is jinja2.Environment else "-subclass"),
            extensions=[FragmentExtension],
        )
        env.code_generator_class = OutputCodeGenerator
        return env

    def precompile(self) -> Precompiling:
        """Start compiling the theme's templates into the bytecode cache on a thread.

        A first build compiles every template (pure Python, about 0.1 s); started before the
        images are resized (C code that lets go of the GIL), that runs on the other core. The
        renderer's environment then finds the code in the cache. Call `wait()` before rendering:
        the thread must be gone before render workers are forked.
        """
        compiling = Precompiling(self)
        compiling.start()
        return compiling

    def static_files(self) -> dict[str, Path]:
        """Static files by relative name; a more specific theme's file wins."""
        files: dict[str, Path] = {}
        for theme_dir in reversed(self.chain):
            static = theme_dir / "static"
            if not static.is_dir():
                continue
            for path in sorted(static.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    files[path.relative_to(static).as_posix()] = path
        return dict(sorted(files.items()))

    def watched_paths(self) -> list[Path]:
        return list(self.chain)


class Precompiling(threading.Thread):
    """Templates compiled into the on-disk bytecode cache, in the background (`precompile`)."""

    def __init__(self, theme: Theme) -> None:
        super().__init__(name="templates", daemon=True)
        # the renderer's own set-up (`HtmlRenderer`): filters decide how calls compile
        from eventsite.render import filters

        self.env = theme.environment()
        filters.install(self.env)
        self.cache = self.env.bytecode_cache
        loader = self.env.loader
        assert isinstance(loader, jinja2.ChoiceLoader)
        self.names = loader.loaders[0].list_templates()  # the chain's names, not the prefixed

    def run(self) -> None:
        if not isinstance(self.cache, jinja2.FileSystemBytecodeCache):
            return  # nowhere to keep the code: the renderer compiles what it uses
        for name in self.names:
            try:
                if not os.path.isfile(self._cache_file(name)):
                    self.env.get_template(name)  # compiles it and stores the code
            except Exception:  # the renderer reports a broken template if a page uses it
                continue

    def wait(self) -> None:
        self.join()

    def _cache_file(self, name: str) -> str:
        assert isinstance(self.cache, jinja2.FileSystemBytecodeCache)
        loader = self.env.loader
        assert loader is not None
        filename = loader.get_source(self.env, name)[1]
        key = self.cache.get_cache_key(name, filename)
        return os.path.join(self.cache.directory, self.cache.pattern % key)


def _bytecode_cache(variant: str = "") -> jinja2.BytecodeCache | None:
    """Compiled templates, reused by later builds; keyed by each template's source checksum.

    The folder is per eventsite version: what a template compiles to also depends on the
    environment's options and filters, which only change with eventsite itself.
    """
    folder = cache_folder(f"templates-{__version__}-{CODE_VERSION}{variant}")
    return jinja2.FileSystemBytecodeCache(str(folder)) if folder else None


def _locate(spec: str) -> Path:
    path = Path(spec).expanduser()
    if path.is_dir():
        return path.resolve()
    if "/" not in spec and "\\" not in spec:
        builtin = builtin_themes_dir() / spec
        if (builtin / "templates").is_dir():
            return builtin
        names = ", ".join(builtin_theme_names())
        raise ThemeError(f"no theme named {spec!r}; built-in themes: {names}")
    raise ThemeError("theme folder not found", file=spec)


def _parent_of(theme_dir: Path) -> str | None:
    config = theme_dir / "theme.json"
    if not config.is_file():
        return None
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ThemeError(f"unreadable theme.json: {exc}", file=str(config)) from None
    parent = data.get("extends") if isinstance(data, dict) else None
    if parent is not None and not isinstance(parent, str):
        raise ThemeError("'extends' must be a theme name or folder", file=str(config))
    return parent
