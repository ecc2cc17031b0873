"""The bundled sample export builds into a complete, safe, relative-linked site."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

from conftest import SAMPLE
from sitecheck import broken_links, internal_links, text_files


def test_sample_site_has_every_page_kind(sample_site: Path) -> None:
    for rel in ("index.html", "schedule/index.html", "speakers/index.html", "tracks/index.html",
                "rooms/index.html", "code-of-conduct.html", "404.html", "sitemap.xml",
                "schedule.ics", "schedule.xml", "schedule.json"):  # fmt: skip
        assert (sample_site / rel).is_file(), rel
    days = sorted(p.name for p in (sample_site / "schedule").glob("2*.html"))
    assert len(days) == 2
    assert len(list((sample_site / "sessions").glob("*.html"))) >= 35


def test_sample_site_links_are_relative_and_resolve(sample_site: Path) -> None:
    assert broken_links(sample_site) == []
    for page in sample_site.rglob("*.html"):
        for link in internal_links(page.read_text(encoding="utf-8")):
            assert not link.startswith("/"), f"{page}: root-relative link {link}"


def test_sample_site_leaks_no_private_data_or_scripts(sample_site: Path) -> None:
    speakers = json.loads((SAMPLE / "speakers").read_text(encoding="utf-8"))
    private = {s[k] for s in speakers for k in ("email", "mobile") if s.get(k)}
    event = json.loads((SAMPLE / "event").read_text(encoding="utf-8"))
    if event.get("email"):
        private.add(event["email"])
    assert private
    for rel, text in text_files(sample_site).items():
        assert not [v for v in private if v in text], rel
        if rel.endswith(".html"):
            assert "alert(1)" not in text, rel
            assert not re.search(r"<[^>]+\son\w+\s*=", text), rel


def test_sample_site_hides_non_public_sessions(sample_site: Path) -> None:
    sessions = json.loads((SAMPLE / "sessions").read_text(encoding="utf-8"))
    hidden = [s for s in sessions if s["state"] not in ("accepted", "confirmed")]
    assert hidden
    for session in hidden:
        assert not (sample_site / "sessions" / f"{session['id']}.html").exists()


def test_base_url_makes_feeds_absolute_but_pages_relative(sample_site: Path) -> None:
    sitemap = ElementTree.parse(sample_site / "sitemap.xml").getroot()
    locs = [el.text for el in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs and all(loc.startswith("https://example.org/devconf/") for loc in locs)
    index = (sample_site / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.org/devconf/">' in index
    assert 'href="schedule/index.html"' in index
    session = next((sample_site / "sessions").glob("*.html")).read_text(encoding="utf-8")
    assert 'href="../assets/style.css"' in session
    assert "URL:https://example.org/devconf/sessions/" in (sample_site / "schedule.ics").read_text()


def test_sample_site_media_use_content_hash_names(sample_site: Path) -> None:
    media = list((sample_site / "media").iterdir())
    assert media
    assert all(re.fullmatch(r"[0-9a-f]{20}\.(jpg|png|webp|gif)", p.name) for p in media)
