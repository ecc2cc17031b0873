"""Plan every HTML page of the site (path, template, context), then render them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import jinja2

from eventsite import urls
from eventsite.errors import ThemeError
from eventsite.render import changes, filters, structured
from eventsite.render.fragments import reset_fragments, template_context
from eventsite.render.theme import Theme
from eventsite.render.view import SiteView


@dataclass(frozen=True, slots=True)
class PageSpec:
    path: str
    template: str
    context: dict[str, Any]
    title: str = ""


def plan_pages(view: SiteView) -> list[PageSpec]:
    """Every HTML page of the site, in a stable order."""
    return [*_fixed_pages(view), *_entity_pages(view)]


SESSION_TEMPLATE = "session.html"


def render_order(pages: Iterable[PageSpec]) -> list[PageSpec]:
    """`pages` in the order several processes take them from their shared queue: the session
    pages last, the others as planned.

    The process that makes the whole-schedule files joins the queue late and takes its tail.
    Session pages show speaker cards and no session list items, so with them at the end the
    list items (on the schedule, day, speaker, track and room pages) are made by the other
    process alone whenever that one has reached the session pages by then, as it has on a
    large site: 10,000 sessions, 9,573 fewer items made (~0.2 s of CPU)."""
    return sorted(pages, key=lambda page: page.template == SESSION_TEMPLATE)  # stable


def _fixed_pages(view: SiteView) -> Iterator[PageSpec]:
    yield PageSpec(urls.INDEX, "index.html", {}, "")
    yield PageSpec(urls.SCHEDULE, "schedule.html", {}, "Schedule")
    for day in view.days:
        yield PageSpec(
            urls.day_path(day.date), "day.html", {"day": day}, filters.long_date(day.date)
        )
    yield PageSpec(urls.SPEAKERS, "speakers.html", {}, "Speakers")
    yield PageSpec(urls.TRACKS, "tracks.html", {}, "Tracks")
    yield PageSpec(urls.ROOMS, "rooms.html", {}, "Rooms")
    if view.event.code_of_conduct:
        yield PageSpec(urls.CODE_OF_CONDUCT, "code_of_conduct.html", {}, "Code of conduct")
    if view.history is not None:
        yield PageSpec(urls.CHANGES, "changes.html", changes.page_context(view), "Schedule changes")
    yield PageSpec(urls.NOT_FOUND, "404.html", {"absolute_root": True}, "Page not found")


def _entity_pages(view: SiteView) -> Iterator[PageSpec]:
    graph = view.graph
    for session in graph.sessions:
        yield PageSpec(
            urls.session_path(session),
            SESSION_TEMPLATE,
            {"session": session, "day": view.day_of(session)},
            session.title,
        )
    for speaker in graph.speakers:
        yield PageSpec(
            urls.speaker_path(speaker), "speaker.html", {"speaker": speaker}, speaker.name
        )
    for track in graph.tracks:
        yield PageSpec(urls.track_path(track), "track.html", {"track": track}, track.name)
    for room in graph.rooms:
        yield PageSpec(urls.room_path(room), "room.html", {"room": room}, room.name)


def root_of(path: str) -> str:
    """Prefix that leads from a page back to the site root ("" or "../" ...)."""
    return "../" * path.count("/")


class HtmlRenderer:
    """Renders pages with one Jinja environment; templates compile once per build."""

    environment_class: type[jinja2.Environment] = jinja2.Environment

    def __init__(self, theme: Theme, view: SiteView, nav: list[tuple[str, str]]) -> None:
        self.env = theme.environment(self.environment_class)
        filters.install(self.env)
        self.use_view(view, nav)

    def use_view(self, view: SiteView, nav: list[tuple[str, str]]) -> None:
        """Render this view from now on; the compiled templates stay (`eventsite serve`)."""
        self.env.globals.update(site=view, event=view.event, nav=nav, urls=urls)
        self.env.globals["nav_current"] = partial(current_nav_paths, nav)
        reset_fragments(self.env)  # their markup shows the previous view
        structured.install(self.env, view)
        self.view = view

    def load_templates(self, names: Iterable[str]) -> None:
        """Load (compile, or read from the bytecode cache) these templates now: before render
        workers are forked, so that they share them."""
        for name in sorted(set(names)):
            with _theme_errors(name):
                self.env.get_template(name)

    def render(self, page: PageSpec) -> bytes:
        # 404.html is served at any depth, so it links absolutely when it can
        absolute = page.context.get("absolute_root") and self.view.base_url
        root = self.view.base_url.url if absolute else root_of(page.path)
        context = {
            **page.context,
            "page_path": page.path,
            "page_title": page.title,
            "root": root,
            "canonical": self.view.base_url.absolute(page.path),
        }
        with _theme_errors(f"{page.template} (rendering {page.path})"):
            return self._page_bytes(self.env.get_template(page.template), context)

    def _page_bytes(self, template: jinja2.Template, context: dict[str, Any]) -> bytes:
        # `template.render(context)`, with the quicker context (`template_context`)
        try:
            text = "".join(template.root_render_func(template_context(template, context)))
        except Exception:
            self.env.handle_exception()
        return text.encode("utf-8")


@contextmanager
def _theme_errors(doing: str) -> Iterator[None]:
    """Jinja's errors as ThemeErrors naming the file, or what was being done (`doing`)."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        raise ThemeError(f"line {exc.lineno}: {exc.message}", file=exc.filename) from None
    except jinja2.TemplateNotFound as exc:
        raise ThemeError(f"template {exc.name!r} not found in the theme") from None
    except jinja2.UndefinedError as exc:
        raise ThemeError(f"{doing}: {exc.message}") from None


def current_nav_paths(nav: list[tuple[str, str]], page_path: str) -> tuple[str, ...]:
    """Menu paths marked as the current page: the page itself, or its section (a day is in
    the schedule). Pages outside the menu share one menu, so its markup is made once."""
    return tuple(
        path
        for _, path in nav
        if page_path == path or (path == urls.SCHEDULE and page_path.startswith("schedule/"))
    )


def navigation(view: SiteView) -> list[tuple[str, str]]:
    """The main menu: (label, output path)."""
    items = [("Schedule", urls.SCHEDULE), ("Speakers", urls.SPEAKERS)]
    if view.graph.tracks:
        items.append(("Tracks", urls.TRACKS))
    if view.graph.rooms:
        items.append(("Rooms", urls.ROOMS))
    if view.history is not None and view.history.revisions:
        items.append(("Changes", urls.CHANGES))
    return items
