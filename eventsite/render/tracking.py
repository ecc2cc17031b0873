"""Dependency tracking for incremental rendering: what did a page read while it rendered?

`TrackingEnvironment` is a Jinja environment that notes every input a template touches: each
entity it reads an attribute of (session, speaker, track, room, session type, sponsor, day, the
event), each attribute of the site view and the graph, each photo/logo/audio lookup by id, each
template it loads, and each entity handed to a filter or a global function. The notes are
`DepKey`s; `Fingerprints` gives each key a digest for one build, so a page must be rendered again
exactly when the digest of one of its keys differs between two builds. A key names a whole
entity (`("track", "3")`, when Python code such as a filter got the entity) or one attribute of it
(`("session", "17", "title")`, when a template read that attribute).

Anything the templates reach goes through one of these doors, because plain values (assets, grid
items, sponsor groups, links) are always reached through a tracked owner whose digest covers them
in full. An object the digest cannot describe gets a digest that never repeats, so an unknown
input makes its pages render every time: slower, never stale.
"""

from __future__ import annotations

import dataclasses
import dis
import functools
import itertools
import operator
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time, tzinfo
from enum import Enum
from typing import Any

import jinja2
from markupsafe import Markup

from eventsite.model.changes import ChangeHistory
from eventsite.model.entities import Event, Room, Session, SessionType, Speaker, Sponsor, Track
from eventsite.model.graph import EventGraph
from eventsite.model.schedule import Day
from eventsite.render import filters
from eventsite.render.fragments import Entry, FragmentExtension, Key
from eventsite.render.pages import HtmlRenderer, PageSpec
from eventsite.render.theme import Theme
from eventsite.render.view import SiteView

DepKey = tuple[str, ...]
Digest = object  # an `encode`d value: canonical, so values are compared as they are

# entity classes the site reads, by the kind that names them in a DepKey
ENTITY_KINDS: dict[type, str] = {
    Session: "session",
    Speaker: "speaker",
    Track: "track",
    Room: "room",
    SessionType: "type",
    Sponsor: "sponsor",
    Day: "day",
}
# entity kinds keyed by `.id` (all but days): `entity_key` inlined where it is hot
_ID_KINDS = {cls: kind for cls, kind in ENTITY_KINDS.items() if kind != "day"}
# SiteView mappings looked up by entity id: a lookup depends on that one entry only
KEYED_MAPPINGS = {"photos": "photo", "logos": "logo", "audio": "audio"}
_MAPPING_OF_KIND = {kind: attribute for attribute, kind in KEYED_MAPPINGS.items()}
EVENT_KEY: DepKey = ("event",)
HISTORY_KEY: DepKey = ("history",)
GLOBALS_KEY: DepKey = ("globals",)
# objects there is one of per build, tracked by attribute like entities
_SINGLE_KEYS: dict[type, DepKey] = {Event: EVENT_KEY, ChangeHistory: HISTORY_KEY}
_build_numbers = itertools.count(1)
# functions that only use an entity's identity (its output path), which never changes
READS_IDENTITY_ONLY: frozenset[Callable[..., Any]] = frozenset({filters.url})


def entity_key(obj: object) -> DepKey | None:
    kind = ENTITY_KINDS.get(type(obj))
    if kind is None:
        return _SINGLE_KEYS.get(type(obj))
    return (kind, _iso_date(obj.date)) if kind == "day" else (kind, obj.id)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=4096)
def _iso_date(day: date) -> str:
    return day.isoformat()


class Recorder:
    """Collects the keys one page reads; inactive between pages.

    While a page's own template code runs (outside any fragment), `keys` holds what it read
    itself, `from_fragments` what its fragments read, and `top_level` the fragment entries it
    rendered, in order; inside a fragment `keys` is that fragment's and the other two are None.
    """

    def __init__(self) -> None:
        self.keys: set[DepKey] | None = None
        self.from_fragments: set[DepKey] | None = None
        self.top_level: list[Any] | None = None
        self.overlap: frozenset[DepKey] = frozenset()  # of the last page: read by both

    def start(self) -> None:
        self.keys, self.from_fragments, self.top_level = {GLOBALS_KEY}, set(), []

    def stop(self) -> frozenset[DepKey]:
        own, fragments = self.keys or set(), self.from_fragments or set()
        self.keys = self.from_fragments = self.top_level = None
        self.overlap = frozenset(own & fragments) if fragments else frozenset()
        return frozenset(own | fragments)

    def enter_fragment(self) -> tuple[Any, ...]:
        """Record a fragment's reads on their own; returns what `leave_fragment` restores."""
        outer = (self.keys, self.from_fragments, self.top_level)
        self.keys, self.from_fragments, self.top_level = set(), None, None
        return outer

    def leave_fragment(self, outer: tuple[Any, ...]) -> frozenset[DepKey]:
        read = frozenset(self.keys or ())
        self.keys, self.from_fragments, self.top_level = outer
        return read

    def replay(self, read: frozenset[DepKey]) -> None:
        """A fragment's reads count for the page (or the fragment) that shows it."""
        if self.keys is not None:
            target = self.from_fragments if self.from_fragments is not None else self.keys
            target.update(read)

    def note(self, key: DepKey) -> None:
        if self.keys is not None:
            self.keys.add(key)

    def note_object(self, obj: object) -> None:
        """The whole entity counts as read (it was handed to Python code)."""
        if self.keys is not None:
            key = entity_key(obj)
            if key is not None:
                self.keys.add(key)

    def note_attribute(self, obj: object, attribute: str) -> None:
        """One attribute of an entity was read: only that attribute's value matters."""
        if self.keys is not None:
            key = entity_key(obj)
            if key is not None:
                self.keys.add((*key, attribute))


class KeyedLookup(Mapping[str, Any]):
    """A SiteView mapping (`site.photos`) that records which ids a template looked up."""

    def __init__(self, kind: str, attribute: str, data: Mapping[str, Any], recorder: Recorder):
        self._kind, self._attribute, self._data, self._recorder = kind, attribute, data, recorder

    def __getitem__(self, key: str) -> Any:
        self._recorder.note((self._kind, str(key)))
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        self._recorder.note((self._kind, str(key)))
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        self._recorder.note((self._kind, str(key)))
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        self._recorder.note(("site", self._attribute))
        return iter(self._data)

    def __len__(self) -> int:
        self._recorder.note(("site", self._attribute))
        return len(self._data)


class TrackingEnvironment(jinja2.Environment):
    """A Jinja environment that records, per page, the inputs the templates read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recorder = Recorder()

    def track(self, recorder: Recorder) -> None:
        """Start recording into `recorder`; wraps filters and globals so entity arguments count."""
        self.recorder = recorder
        self.filters = {name: _recording(f, recorder) for name, f in self.filters.items()}
        for name, value in list(self.globals.items()):
            if callable(value) and not isinstance(value, type) and not _is_module(value):
                self.globals[name] = _recording(value, recorder)

    def getattr(self, obj: Any, attribute: str) -> Any:
        cls = type(obj)
        kind = _ID_KINDS.get(cls)
        keys = self.recorder.keys
        if kind is not None:  # the common case, inlined: a session's or speaker's attribute
            if keys is not None:
                keys.add((kind, obj.id, attribute))
            return super().getattr(obj, attribute)
        if cls is SiteView:
            return self._site_attribute(obj, attribute)
        if cls is EventGraph:
            self.recorder.note(("graph", attribute))
        else:
            self.recorder.note_attribute(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        cls = type(obj)
        if cls is SiteView and isinstance(argument, str):
            return self._site_attribute(obj, argument)
        if cls is EventGraph:
            self.recorder.note(("graph", str(argument)))
        elif isinstance(argument, str):
            self.recorder.note_attribute(obj, argument)
        else:
            self.recorder.note_object(obj)
        return super().getitem(obj, argument)

    def _site_attribute(self, view: SiteView, attribute: str) -> Any:
        if attribute in KEYED_MAPPINGS:
            return KeyedLookup(
                KEYED_MAPPINGS[attribute], attribute, getattr(view, attribute), self.recorder
            )
        self.recorder.note(("site", attribute))
        return super().getattr(view, attribute)

    def get_template(self, name: Any, parent: str | None = None, globals: Any = None) -> Any:
        if isinstance(name, str):
            self.recorder.note(("template", self.join_path(name, parent) if parent else name))
        return super().get_template(name, parent, globals)

    def select_template(self, names: Any, parent: str | None = None, globals: Any = None) -> Any:
        if not isinstance(names, jinja2.Undefined):
            for name in names:
                if isinstance(name, str):
                    self.recorder.note(("template", name))
        return super().select_template(names, parent, globals)


def _is_module(value: object) -> bool:
    return type(value).__name__ == "module"


def _recording(function: Callable[..., Any], recorder: Recorder) -> Callable[..., Any]:
    """Wrap a filter or global so entities passed to it count as read."""
    if getattr(function, "_eventsite_recording", False) or function in READS_IDENTITY_ONLY:
        return function

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        keys = recorder.keys
        if keys is not None:
            for value in itertools.chain(args, kwargs.values()):
                kind = _ID_KINDS.get(type(value))
                if kind is not None:  # inlined `note_object` for the common case
                    keys.add((kind, value.id))
                elif type(value) not in _PLAIN:
                    recorder.note_object(value)
        return function(*args, **kwargs)

    wrapper._eventsite_recording = True  # type: ignore[attr-defined]
    return wrapper


@dataclasses.dataclass(frozen=True, slots=True)
class PageLayout:
    """Where a page's bytes hold the markup of the fragments it output at its top level (those
    that read something), to splice the page when only such fragments change."""

    runs: array[int]  # per fragment: bytes since the end of the one before, then its length
    entries: tuple[Entry, ...]  # each fragment's entry (markup, reads), as rendered
    overlap: frozenset[DepKey]  # inputs the page read itself and through fragments


class TrackingRenderer(HtmlRenderer):
    """An HtmlRenderer that also returns the inputs each page read."""

    environment_class = TrackingEnvironment

    def __init__(self, theme: Theme, view: SiteView, nav: list[tuple[str, str]]) -> None:
        super().__init__(theme, view, nav)
        self.recorder = Recorder()
        assert isinstance(self.env, TrackingEnvironment)
        self.env.track(self.recorder)
        self.layout: PageLayout | None = None  # of the last page `render_tracked` made
        self._spans: tuple[array[int], tuple[Entry, ...]] | None = None

    def render_tracked(self, page: PageSpec) -> tuple[bytes, frozenset[DepKey]]:
        self.recorder.start()
        self._spans = None
        try:
            html = self.render(page)
        finally:
            keys = self.recorder.stop()
        spans, self._spans = self._spans, None
        self.layout = None if spans is None else PageLayout(*spans, self.recorder.overlap)
        return html, keys

    def _page_bytes(self, template: jinja2.Template, context: dict[str, Any]) -> bytes:
        """The page, noting where its top-level fragments' markup is (`layout`), when the
        template outputs each of them once, as it is."""
        rendered = self.recorder.top_level
        extension = self._fragment_extension()
        if rendered is None or extension is None or not extension.streams(template.name or ""):
            return super()._page_bytes(template, context)
        chunks: list[bytes] = []
        runs: array[int] = array("q")
        entries: list[Entry] = []
        size = end = 0  # bytes so far; where the last noted fragment ends
        exact = True
        try:
            for piece in template.root_render_func(template.new_context(context)):
                data = piece.encode("utf-8")  # once: offsets are in bytes
                length = len(data)
                if rendered:
                    entry = rendered[0]
                    if len(rendered) == 1 and piece == entry[0]:
                        if entry[1]:  # markup that reads nothing never changes
                            runs.extend((size - end, length))
                            entries.append(entry)
                            end = size + length
                    else:  # output with other text, or not output where it was rendered
                        exact = False
                    rendered.clear()
                chunks.append(data)
                size += length
        except Exception:
            self.env.handle_exception()
        if exact and not rendered:
            self._spans = runs, tuple(entries)
        return b"".join(chunks)

    def splice(
        self,
        html: bytes,
        layout: PageLayout,
        keys: frozenset[DepKey],
        stale: Mapping[int, tuple[Key, Entry]],
        changed: set[DepKey],
    ) -> tuple[bytes, PageLayout] | None:
        """The page `html` (which read `keys`) with the markup of its fragments in `stale`
        (dropped entries, by id, with their keys) made again; None when a render could make
        another page: the page itself read a changed input, or a fragment now reads others."""
        extension = self._fragment_extension()
        if extension is None or not layout.overlap.isdisjoint(changed):
            return None
        old_entries = layout.entries
        places = [i for i, entry in enumerate(old_entries) if id(entry) in stale]
        covered: set[DepKey] = set()
        for i in places:
            covered.update(old_entries[i][1])
        if not places or not covered.issuperset(keys & changed):
            return None
        old_runs, runs, entries = layout.runs, array("q", layout.runs), list(old_entries)
        chunks: list[bytes] = []
        offset = summed = copied = 0  # in `html`: a fragment's start, runs summed, bytes taken
        for i in places:
            offset += sum(old_runs[summed : 2 * i + 1])
            summed = 2 * i + 1
            old, length = old_entries[i], old_runs[2 * i + 1]
            new = extension.entry_for(stale[id(old)][0])
            old_bytes = old[0].encode("utf-8")
            if new[1] != old[1] or html[offset : offset + length] != old_bytes:
                return None
            markup = new[0].encode("utf-8")
            chunks += (html[copied:offset], markup)
            copied = offset + length
            runs[2 * i + 1], entries[i] = len(markup), new
        chunks.append(html[copied:])
        return b"".join(chunks), PageLayout(runs, tuple(entries), layout.overlap)

    def use_view(self, view: SiteView, nav: list[tuple[str, str]]) -> None:
        super().use_view(view, nav)
        if isinstance(self.env, TrackingEnvironment) and hasattr(self, "recorder"):
            self.env.track(self.recorder)  # the view's new global functions record too

    def fragments(self) -> list[dict[Any, Any]]:
        """The fragment markup of the current view (copies), to `carry_fragments` later."""
        return [dict(x.entries()) for x in self._fragment_extensions()]

    def carry_fragments(
        self,
        kept: list[dict[Any, Any]],
        unchanged: Callable[[frozenset[DepKey]], bool],
        entities: Mapping[DepKey, object],
    ) -> int:
        """Take over the markup of `fragments()` of the last view whose inputs are `unchanged`.

        An entry was made of the key's values and of the inputs it recorded; its key names the
        last view's entities, which become this view's entities of the same kind and id (gone
        or of another kind: the entry is dropped). Returns how many entries were taken over.
        """
        carried = 0
        for extension, entries in zip(self._fragment_extensions(), kept, strict=True):
            target = extension.entries()
            for key, entry in entries.items():
                if unchanged(entry[1]):
                    new_key = _rekeyed(key, entities)
                    if new_key is not None:
                        target[new_key] = entry
                        carried += 1
        return carried

    def drop_fragments(self, changed: set[DepKey]) -> dict[int, tuple[Key, Entry]]:
        """Forget the fragment markup that read one of the `changed` inputs (an entity patched
        in place keeps its identity, so the entries' keys stay valid); returns what was
        dropped, (key, entry) by the entry's id."""
        dropped: dict[int, tuple[Key, Entry]] = {}
        for extension in self._fragment_extensions():
            entries = extension.entries()
            stale = [key for key, entry in entries.items() if not entry[1].isdisjoint(changed)]
            for key in stale:
                entry = entries.pop(key)
                dropped[id(entry)] = key, entry
        return dropped

    def clear_fragments(self) -> None:
        for extension in self._fragment_extensions():
            extension.entries().clear()

    def _fragment_extension(self) -> FragmentExtension | None:
        found = self._fragment_extensions()
        return found[0] if len(found) == 1 else None

    def _fragment_extensions(self) -> list[FragmentExtension]:
        found = self.env.extensions.values()
        return [x for x in found if isinstance(x, FragmentExtension)]


def _rekeyed(key: tuple[Any, ...], entities: Mapping[DepKey, object]) -> tuple[Any, ...] | None:
    """A fragment key (name, (variable, type, value)...) with entities swapped for the new
    view's; None when a value is neither plain nor an entity of the new view."""
    items: list[Any] = [key[0]]
    for variable, cls, value in key[1:]:
        if cls not in _PLAIN_KEY_VALUES:
            if cls not in ENTITY_KINDS:
                return None
            value = entities.get(entity_key(value))  # type: ignore[arg-type]
            if type(value) is not cls:
                return None
        items.append((variable, cls, value))
    return tuple(items)


def globals_value(env: jinja2.Environment) -> object:
    """The data the templates get as globals besides the view and the event (nav, flags...)."""
    return {
        name: value
        for name, value in sorted(env.globals.items())
        if name not in ("site", "event") and not callable(value) and not _is_module(value)
    }


def page_signature(page: PageSpec) -> Digest:
    """What a page is, apart from what it reads: template, title and context (by reference)."""
    return fingerprint_of((page.template, page.title, encode(page.context)))


class Fingerprints:
    """Digests of DepKeys for one build: equal digests mean the page would render the same."""

    def __init__(
        self,
        view: SiteView,
        globals_value: object,
        templates: TemplateDigests,
        entities: dict[DepKey, object] | None = None,
    ) -> None:
        self.view = view
        self.build = next(_build_numbers)
        self.globals_value = globals_value
        self.templates = templates
        self._digests: dict[DepKey, Digest] = {}
        self._entities = entities if entities is not None else _entity_index(view)

    def digest(self, key: DepKey) -> Digest:
        found = self._digests.get(key, _NOT_THERE)
        if found is _NOT_THERE:
            found = self._digests[key] = self._compute(key)
        return found

    def _compute(self, key: DepKey) -> Digest:
        kind = key[0]
        if kind == "template":
            return self.templates.digest(key[1])
        if kind == "globals":
            return fingerprint_of(encode(self.globals_value))
        if kind == "event":
            return self._entity_digest(self.view.event, key[1:])
        if kind == "history":
            history = self.view.history
            return self._unique() if history is None else self._entity_digest(history, key[1:])
        if kind == "site":
            return self._site_digest(key[1])
        if kind == "graph":
            value = getattr(self.view.graph, key[1], _NOT_THERE)
            return self._unique() if value is _NOT_THERE else fingerprint_of(encode(value))
        if kind in _MAPPING_OF_KIND:
            mapping = getattr(self.view, _MAPPING_OF_KIND[kind])
            return fingerprint_of(encode(mapping.get(key[1], _NOT_THERE)))
        entity = self._entities.get(key[:2])
        return self._unique() if entity is None else self._entity_digest(entity, key[2:])

    def _entity_digest(self, entity: object, attribute: DepKey) -> Digest:
        """The whole entity's own fields, or the value of one attribute."""
        if not attribute:
            return fingerprint_of(encode_fields(entity))
        value = getattr(entity, attribute[0], _NOT_THERE)
        return self._unique() if callable(value) else fingerprint_of(encode(value))

    def _site_digest(self, attribute: str) -> Digest:
        value = getattr(self.view, attribute, _NOT_THERE)
        if value is _NOT_THERE or callable(value):
            return self._unique()  # methods may read anything: always render again
        return fingerprint_of(encode(value))

    def _unique(self) -> Digest:
        return ("unique", self.build, next(_OPAQUE))


class EntityFields:
    """`encode_fields` of every entity one build's pages can read, by entity key.

    Comparing two builds' tables finds the entities (and the fields of them) that changed, so
    the keys that name an entity or one of its fields need no digest of their own: an edit costs
    one tuple comparison per entity instead of a digest per recorded key.
    """

    def __init__(self, view: SiteView) -> None:
        self.entities = _entity_index(view)
        self.fields = {key: encode_fields(entity) for key, entity in self.entities.items()}

    def covers(self, key: DepKey) -> bool:
        """Whether `changed_since` decides about `key` (an entity, or one of its fields)."""
        entity = self.entities.get(key[:2])
        if entity is None:
            return False
        if len(key) == 2:
            return True
        return len(key) == 3 and _compared_attribute(type(entity), key[2])

    def changed_since(self, old: EntityFields) -> set[DepKey]:
        """The covered keys of `old` whose value differs here (or whose entity is gone).

        Unchanged entities take over `old`'s tuples, so that keys built of them (see
        `calendar_cache.FormatCache`) compare by identity instead of item by item.
        """
        changed: set[DepKey] = set()
        fields = self.fields
        for key, before in old.fields.items():
            after = fields.get(key)
            if after == before:
                fields[key] = before
                continue
            now = self.entities.get(key) if after is not None else None
            changed |= _changed_keys(key, old.entities[key], before, now, after)
        return changed

    def refresh(self, key: DepKey, before: object) -> set[DepKey]:
        """Describe the entity `key` again after it was changed in place; `before` is a copy
        taken before the change. Returns the covered keys whose value changed."""
        old_fields = self.fields[key]
        now = self.entities[key]
        after = self.fields[key] = encode_fields(now)
        if after == old_fields:
            self.fields[key] = old_fields
            return set()
        return _changed_keys(key, before, old_fields, now, after)


def _changed_keys(
    key: DepKey,
    entity: object,
    before: tuple[object, ...],
    now: object | None,
    after: tuple[object, ...] | None,
) -> set[DepKey]:
    """The keys of one entity that differ between two versions (`now` None: it is gone)."""
    changed: set[DepKey] = {key}
    cls = type(entity)
    names = _field_names(cls)
    for name in own_properties(cls):  # only a changed entity's: compare the values
        if now is None or encode(getattr(entity, name)) != encode(getattr(now, name)):
            changed.add((*key, name))
    if after is None or after[0] != before[0]:
        changed.update((*key, name) for name in names)
    else:
        pairs = zip(names, before[1:], after[1:], strict=True)
        changed.update((*key, name) for name, a, b in pairs if a != b)
    return changed


class TemplateDigests:
    """Digests of template sources as an environment's loader resolves them now."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self._cache: dict[str, Digest] = {}

    def digest(self, name: str) -> Digest:
        found = self._cache.get(name)
        if found is None:
            found = self._cache[name] = self._compute(name)
        return found

    def _compute(self, name: str) -> Digest:
        assert self.env.loader is not None
        try:
            source, filename, _ = self.env.loader.get_source(self.env, name)
        except jinja2.TemplateNotFound:
            return fingerprint_of(("missing-template", name))
        return fingerprint_of(("template", filename, source))


class _NotThere:
    def __repr__(self) -> str:
        return "<not there>"


_NOT_THERE = _NotThere()


def _entity_index(view: SiteView) -> dict[DepKey, object]:
    graph = view.graph
    index: dict[DepKey, object] = {}
    groups: Iterable[Iterable[object]] = (
        graph.sessions,
        graph.speakers,
        graph.tracks,
        graph.rooms,
        graph.session_types,
        graph.sponsors,
        view.days,
    )
    for item in itertools.chain.from_iterable(groups):
        key = entity_key(item)
        if key is not None:
            index.setdefault(key, item)
    for session in graph.sessions:
        for linked in (session.track, session.room, session.session_type, *session.speakers):
            key = entity_key(linked)
            if key is not None:
                index.setdefault(key, linked)
    return index


def encode_fields(entity: object) -> tuple[object, ...]:
    """An entity's own fields; the entities it links to appear as references.

    Item i + 1 is `encode` of field i (see `field_position`), so one attribute of two versions
    of an entity can be compared in the tuples.
    """
    values = _field_getter(type(entity))(entity)
    # plain values are their own encoding: skip the call for the common case
    return (type(entity).__name__, *[v if type(v) in _PLAIN else encode(v) for v in values])


_PLAIN = frozenset({str, int, bool, float, type(None)})
# fragment key values that mean the same in any view (a Markup renders as it is, unescaped)
_PLAIN_KEY_VALUES = _PLAIN | {Markup}


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@functools.cache
def _field_getter(cls: type) -> Callable[[object], tuple[object, ...]]:
    names = _field_names(cls)
    if len(names) == 1:  # attrgetter of one name returns the value, not a tuple
        return lambda entity: (getattr(entity, names[0]),)
    return operator.attrgetter(*names)


@functools.cache
def own_properties(cls: type) -> frozenset[str]:
    """Properties of an entity class whose value follows from the entity's own fields alone.

    Decided from the getter's bytecode, conservatively: `self` is only ever used to read a
    field that links to no other entity, and the getter makes no nested function. Such a
    property can only change when the entity's `encode_fields` does.
    """
    if cls not in ENTITY_KINDS or cls is Day:
        return frozenset()
    plain_fields = {
        f.name
        for f in dataclasses.fields(cls)
        if not any(name in str(f.type) for name in _ENTITY_CLASS_NAMES)
    }
    found = set()
    for name, value in vars(cls).items():
        getter = value.fget if isinstance(value, property) else None
        if getter is not None and _reads_only(getter, plain_fields):
            found.add(name)
    return frozenset(found)


def _reads_only(getter: Callable[..., Any], fields: set[str]) -> bool:
    code = getter.__code__
    if code.co_argcount != 1 or any(isinstance(c, type(code)) for c in code.co_consts):
        return False
    self_name = code.co_varnames[0]
    instructions = [i for i in dis.get_instructions(getter) if i.opname != "CACHE"]
    for index, instruction in enumerate(instructions):
        argval = instruction.argval
        if self_name not in (argval if isinstance(argval, tuple) else (argval,)):
            continue
        if instruction.opname not in _PLAIN_LOADS:  # stored, deleted, loaded with another...
            return False
        following = instructions[index + 1] if index + 1 < len(instructions) else None
        if following is None or following.opname != "LOAD_ATTR" or following.argval not in fields:
            return False
    return True


_PLAIN_LOADS = frozenset({"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_BORROW"})


_ENTITY_CLASS_NAMES = ("Session", "Speaker", "Track", "Room", "SessionType", "Sponsor", "Day")


@functools.cache
def _compared_attribute(cls: type, attribute: str) -> bool:
    """Whether `EntityFields.changed_since` compares this attribute of a `cls` entity."""
    return field_position(cls, attribute) is not None or attribute in own_properties(cls)


@functools.cache
def field_position(cls: type, attribute: str) -> int | None:
    """Where `encode_fields` puts the attribute of a `cls`; None for a property or method."""
    names = _field_names(cls)
    return names.index(attribute) + 1 if attribute in names else None


_OPAQUE = itertools.count()


def encode(value: object) -> object:
    """A hashable, comparable description of a value; entities become references."""
    cls = type(value)
    if cls in _PLAIN:
        return value
    if cls is list or cls is tuple:  # the common containers, without the checks below
        return tuple([item if type(item) in _PLAIN else _encode_item(item) for item in value])  # type: ignore[attr-defined]
    kind = _ID_KINDS.get(cls)
    if kind is not None:  # what `entity_key` makes of it below, without the checks
        return ("ref", kind, value.id)  # type: ignore[attr-defined]
    if cls is dict:  # a page's context: the dict case below, without the checks
        return ("dict", *((encode(k), encode(v)) for k, v in value.items()))  # type: ignore[attr-defined]
    if value is None or isinstance(value, bool | int | float):
        return value
    if value is _NOT_THERE:
        return ("absent",)
    if isinstance(value, str):
        return str(value)
    key = entity_key(value)
    if key is not None:
        return ("ref", *key)
    if isinstance(value, list | tuple):
        return tuple(encode(item) for item in value)
    if isinstance(value, dict):
        return ("dict", *((encode(k), encode(v)) for k, v in value.items()))
    if isinstance(value, datetime | date | time):
        return (type(value).__name__, value.isoformat(), str(getattr(value, "tzinfo", None)))
    if isinstance(value, tzinfo):
        return ("tz", str(value))
    if isinstance(value, Enum):
        return ("enum", type(value).__name__, value.name)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, SiteView | EventGraph):
            return ("ref", type(value).__name__)
        return encode_fields(value)
    return ("opaque", type(value).__name__, next(_OPAQUE))  # never equal: always re-render


def _encode_item(item: object) -> object:
    """`encode` of a list item, with the common entity reference first."""
    kind = _ID_KINDS.get(type(item))
    return ("ref", kind, item.id) if kind is not None else encode(item)  # type: ignore[attr-defined]


def fingerprint_of(value: object) -> Digest:
    """What inputs are compared by: the `encode`d value itself.

    Comparing the encoded tuples is exact and cheaper than hashing their text first.
    """
    return value
