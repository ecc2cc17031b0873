"""The output file store: builds link files kept from earlier builds instead of creating them,
and the site is byte for byte what a build without the store writes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from test_build_speed import SYNTHETIC_SESSIONS, assert_same_site

from eventsite.build import BuildOptions, build
from eventsite.errors import PrivacyError
from eventsite.filestore import FileStore
from eventsite.writer import SiteWriter


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from synthetic import generate

    return generate(tmp_path_factory.mktemp("synthetic") / "export", SYNTHETIC_SESSIONS, 3).path


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTSITE_CACHE_DIR", str(tmp_path / "templates"))


def build_with_store(source: Path, out: Path, store: FileStore | None, jobs: int = 1):
    return build(BuildOptions(source=str(source), output=out, jobs=jobs, file_store=store))


def objects(store: FileStore) -> dict[str, int]:
    """Object name -> link count."""
    return {entry.name: entry.stat().st_nlink for entry in os.scandir(store.root)}


def test_second_clean_build_links_every_file_and_matches_a_build_without_store(
    export: Path, tmp_path: Path
) -> None:
    build_with_store(export, tmp_path / "plain", None)
    first = FileStore(tmp_path / "cache" / "files")
    build_with_store(export, tmp_path / "one", first, jobs=1)
    assert first.created > 100 and first.linked == 0  # counted in this process: one job
    shutil.rmtree(tmp_path / "one")

    second = FileStore(first.root)
    build_with_store(export, tmp_path / "two", second, jobs=2)
    assert_same_site(tmp_path / "plain", tmp_path / "two")
    site_files = [p for p in (tmp_path / "two").rglob("*") if p.is_file()]
    linked = [p for p in site_files if p.stat().st_nlink >= 2]
    assert len(linked) == len(site_files) - 1
    # the deleted first site's objects that the second one did not need are gone
    assert all(links >= 2 for links in objects(second).values())


def test_an_object_edited_through_a_site_is_replaced_not_reused(
    export: Path, tmp_path: Path
) -> None:
    store = FileStore(tmp_path / "cache" / "files")
    build_with_store(export, tmp_path / "old", store)
    expected = (tmp_path / "old" / "index.html").read_bytes()
    with open(tmp_path / "old" / "index.html", "ab") as handle:  # edits the shared inode
        handle.write(b"<script>defaced()</script>")

    build_with_store(export, tmp_path / "new", FileStore(store.root))
    assert (tmp_path / "new" / "index.html").read_bytes() == expected
    assert b"defaced" in (tmp_path / "old" / "index.html").read_bytes()  # old site untouched


def test_edit_then_in_place_rebuild_keeps_store_and_site_consistent(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")  # the change history's clock
    store = FileStore(tmp_path / "cache" / "files")
    site = tmp_path / "site"
    build_with_store(export, site, store)
    shutil.copytree(site, tmp_path / "previous")
    sessions = json.loads((export / "sessions").read_text(encoding="utf-8"))
    edited = tmp_path / "edited"
    shutil.copytree(export, edited)
    sessions[0]["title"] = "Retitled by the store test"
    (edited / "sessions").write_text(json.dumps(sessions), encoding="utf-8")

    build_with_store(edited, site, FileStore(store.root))  # updates the site in place
    plain = BuildOptions(source=str(edited), output=tmp_path / "plain", jobs=1)
    plain.previous = str(tmp_path / "previous")
    build(plain)
    assert_same_site(site, tmp_path / "plain")
    # every object is still linked from the site: the replaced versions were pruned
    site_inodes = {p.stat().st_ino for p in site.rglob("*") if p.is_file()}
    store_inodes = {os.stat(store.root / name).st_ino for name in objects(store)}
    assert store_inodes <= site_inodes


def test_failed_build_leaves_nothing_of_its_site_in_the_store(export: Path, tmp_path: Path) -> None:
    store = FileStore(tmp_path / "cache" / "files")
    leaky = tmp_path / "leaky"
    shutil.copytree(export, leaky)
    sessions = json.loads((leaky / "sessions").read_text(encoding="utf-8"))
    shown = next(s for s in sessions if s["state"] == "accepted" and s["speakers"])
    speakers = json.loads((leaky / "speakers").read_text(encoding="utf-8"))
    speaker = next(p for p in speakers if p["id"] == shown["speakers"][0]["id"])
    speaker["email"] = "private.person@example.org"
    speaker["long-biography"] = "Write to private.person@example.org any time."
    (leaky / "speakers").write_text(json.dumps(speakers), encoding="utf-8")
    options = BuildOptions(
        source=str(leaky),
        output=tmp_path / "site",
        file_store=store,
        publish_fields=frozenset({"long-biography"}),
    )
    with pytest.raises(PrivacyError):
        build(options)
    assert not (tmp_path / "site").exists()
    assert objects(store) == {}  # no rendered page (with the address) kept in the cache


def test_store_that_cannot_be_made_switches_itself_off(export: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    store = FileStore(blocker / "files")
    build_with_store(export, tmp_path / "site", store)
    build_with_store(export, tmp_path / "plain", None)
    assert not store.enabled
    assert_same_site(tmp_path / "site", tmp_path / "plain")


def test_writer_puts_identical_files_on_one_object(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    writer = SiteWriter(tmp_path / "site", store)
    writer.write("a.html", b"same bytes")
    writer.write("b/c.html", b"same bytes")
    writer.write("d.html", b"other bytes")
    writer.finish()
    site = tmp_path / "site"
    assert (site / "a.html").stat().st_ino == (site / "b" / "c.html").stat().st_ino
    assert sorted(objects(store).values()) == [2, 3]


def test_an_object_overwritten_through_a_site_with_bytes_of_the_same_size_is_not_reused(
    tmp_path: Path,
) -> None:
    """Reuse is decided by size and the time the object was made with, without reading it:
    any write through a link, even one that keeps the size, changes that time."""
    store = FileStore(tmp_path / "files")
    writer = SiteWriter(tmp_path / "old", store)
    writer.write("page.html", b"the real page")
    writer.finish()
    with open(tmp_path / "old" / "page.html", "r+b") as handle:  # same size, shared inode
        handle.write(b"THE FAKE")

    again = FileStore(store.root)
    writer = SiteWriter(tmp_path / "new", again)
    writer.write("page.html", b"the real page")
    writer.finish()
    assert (tmp_path / "new" / "page.html").read_bytes() == b"the real page"
    assert (tmp_path / "old" / "page.html").read_bytes() == b"THE FAKE page"
    assert again.created == 1 and again.linked == 0


def test_an_unchanged_object_is_linked_again(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    for site in ("one", "two"):
        writer = SiteWriter(tmp_path / site, store)
        writer.write("page.html", b"the same page")
        writer.finish()
    assert (store.created, store.linked) == (1, 1)
    one, two = (tmp_path / site / "page.html" for site in ("one", "two"))
    assert one.stat().st_ino == two.stat().st_ino


def write_site_files(root: Path, store: FileStore, files: dict[str, bytes]) -> None:
    writer = SiteWriter(root, store)
    try:
        for rel, data in files.items():
            writer.write(rel, data)
        writer.finish()
    finally:
        writer.abort()


def clean_build(site: Path, store: FileStore, files: dict[str, bytes]) -> None:
    shutil.rmtree(site, ignore_errors=True)
    write_site_files(site, store, files)


def test_clean_rebuild_prunes_what_the_previous_build_of_the_site_linked_without_a_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStore(tmp_path / "files")
    site, other = tmp_path / "site", tmp_path / "other"
    clean_build(site, store, {"a.html": b"old a", "b.html": b"shared", "c.html": b"kept"})
    write_site_files(other, store, {"x.html": b"shared"})  # another site links one object

    def no_scan(self: FileStore) -> list[str]:
        raise AssertionError("a clean rebuild of a known site looks only at its own objects")

    monkeypatch.setattr(FileStore, "_unlinked_objects", no_scan)
    clean_build(site, FileStore(store.root), {"a.html": b"new a", "c.html": b"kept"})
    assert sorted(objects(store).values()) == [2, 2, 2]  # "old a" gone, "shared" kept for other
    assert (other / "x.html").read_bytes() == b"shared"
    assert (site / "a.html").read_bytes() == b"new a"


def test_objects_of_a_deleted_site_are_pruned_by_the_periodic_full_look(tmp_path: Path) -> None:
    from eventsite.filestore import FULL_SCAN_EVERY

    store = FileStore(tmp_path / "files")
    write_site_files(tmp_path / "gone", store, {"page.html": b"orphan soon"})
    shutil.rmtree(tmp_path / "gone")  # never rebuilt: no build of it will look at its objects
    site = tmp_path / "site"
    for _ in range(FULL_SCAN_EVERY + 2):
        clean_build(site, FileStore(store.root), {"page.html": b"the page"})
    assert list(objects(store).values()) == [2]


def test_in_place_rebuild_and_failed_build_still_prune_every_unlinked_object(
    tmp_path: Path,
) -> None:
    store = FileStore(tmp_path / "files")
    site = tmp_path / "site"
    write_site_files(site, store, {"a.html": b"one", "b.html": b"two"})
    write_site_files(site, FileStore(store.root), {"a.html": b"one, edited"})  # in place
    assert sorted(objects(store).values()) == [2]
    shutil.rmtree(site)
    clean_build(site, FileStore(store.root), {"a.html": b"one, edited"})
    writer = SiteWriter(tmp_path / "failed", FileStore(store.root))
    writer.write("a.html", b"never published")
    writer.abort()
    assert sorted(objects(store).values()) == [2]


def test_objects_keep_the_time_they_were_made_so_deploys_see_changed_files(tmp_path: Path) -> None:
    """rsync compares size and modification time (whole seconds): a file's time must be the
    second its bytes were first made, not one fixed time for every object."""
    import time

    before = time.time()
    write_site_files(tmp_path / "site", FileStore(tmp_path / "files"), {"a.html": b"x" * 10})
    made = (tmp_path / "site" / "a.html").stat().st_mtime
    assert before - 2 <= made <= time.time() + 1
