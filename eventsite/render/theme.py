"""Themes: a folder with `templates/` and `static/`, falling back to the built-in theme.

A user theme may hold only the templates or static files it changes; every other file comes
from the theme it extends (`theme.json`: {"extends": "default"}; default: the built-in theme).
Templates can name a parent explicitly: `{% extends "default/base.html" %}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jinja2

from eventsite import __version__
from eventsite.caches import cache_folder
from eventsite.errors import ThemeError
from eventsite.render.fragments import FragmentExtension

DEFAULT_THEME = "default"


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
        return factory(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            auto_reload=False,
            bytecode_cache=_bytecode_cache(),
            extensions=[FragmentExtension],
        )

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


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates, reused by later builds; keyed by each template's source checksum.

    The folder is per eventsite version: what a template compiles to also depends on the
    environment's options and filters, which only change with eventsite itself.
    """
    folder = cache_folder(f"templates-{__version__}")
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
