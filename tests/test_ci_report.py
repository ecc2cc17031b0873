"""CI-facing output: --report JSON, --summary Markdown, --check-links, --previous URL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import markdown
from conftest import SAMPLE
from lxml import html
from pytest_httpserver import HTTPServer
from test_changes import make_four_edits

from eventsite.cli import main


def test_report_and_summary_describe_a_build_with_changes(tmp_path: Path) -> None:
    export, site = tmp_path / "export", tmp_path / "site"
    shutil.copytree(SAMPLE, export)
    assert main(["build", str(export), "-o", str(site), "-q"]) == 0
    edits = make_four_edits(export)
    report_file, summary_file = tmp_path / "out" / "report.json", tmp_path / "summary.md"
    summary_file.write_text("# earlier step\n", encoding="utf-8")
    argv = ["build", str(export), "-o", str(site), "-q", "--base-url", "https://example.org/dc"]
    assert main([*argv, "--report", str(report_file), "--summary", str(summary_file)]) == 0

    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["status"] == "ok" and report["exit_code"] == 0 and report["error"] is None
    sessions = json.loads((site / "changes.json").read_text(encoding="utf-8"))["schedule"]
    assert report["counts"]["sessions"] == len(sessions)
    assert report["counts"]["pages"] == len(list(site.rglob("*.html")))
    assert report["counts"]["warnings"] == len(report["warnings"]) >= 1
    assert {w["kind"] for w in report["warnings"]} >= {"missing-media"}
    assert report["changes"]["revision"] == 1
    assert report["changes"]["counts"] == {"added": 1, "cancelled": 1, "moved": 1, "retitled": 1}
    found = {(c["kind"], c["session"]) for c in report["changes"]["items"]}
    assert found == edits.expected()
    moved = next(c for c in report["changes"]["items"] if c["kind"] == "moved")
    assert moved["url"] == f"https://example.org/dc/sessions/{edits.moved}.html"
    assert report["timing"]["seconds"] > 0
    assert set(report["timing"]["stages"]) >= {"load", "render", "write"}

    summary = summary_file.read_text(encoding="utf-8")
    assert summary.startswith("# earlier step\n")  # appended, as GITHUB_STEP_SUMMARY expects
    page = html.fromstring(markdown.markdown(summary, extensions=["tables"]))
    cells = [td.text_content() for td in page.iter("td")]
    assert cells[cells.index("schedule changes") + 1] == "4 (update 1)"
    items = [
        li.text_content() for li in page.xpath("//h3[.='Schedule changes']/following::ul[1]/li")
    ]
    assert sorted(i.split(":")[0] for i in items) == ["Added", "Cancelled", "Moved", "Retitled"]
    links = {a.get("href") for a in page.iter("a")}
    assert f"https://example.org/dc/sessions/{edits.moved}.html" in links


def test_summary_escapes_markdown_from_the_export(tmp_path: Path) -> None:
    export, site = tmp_path / "export", tmp_path / "site"
    shutil.copytree(SAMPLE, export)
    assert main(["build", str(export), "-o", str(site), "-q"]) == 0
    sessions = json.loads((export / "sessions").read_text(encoding="utf-8"))
    target = next(s for s in sessions if s["state"] == "accepted")
    target["title"] = "[click](https://evil.example/) <img src=x onerror=alert(1)> **bold** | pipe"
    (export / "sessions").write_text(json.dumps(sessions), encoding="utf-8")
    summary_file = tmp_path / "summary.md"
    assert main(["build", str(export), "-o", str(site), "-q", "--summary", str(summary_file)]) == 0
    rendered = html.fromstring(markdown.markdown(summary_file.read_text(), extensions=["tables"]))
    assert not [a for a in rendered.iter("a") if "evil" in (a.get("href") or "")]
    assert not list(rendered.iter("img"))
    assert [s.text_content() for s in rendered.iter("strong")] == ["Retitled"]
    assert "[click](https://evil.example/)" in rendered.text_content()


def test_failed_build_still_writes_report_and_summary(tmp_path: Path, capsys) -> None:
    report_file, summary_file = tmp_path / "report.json", tmp_path / "summary.md"
    missing = tmp_path / "no-such-export.zip"
    argv = ["build", str(missing), "-o", str(tmp_path / "site")]
    assert main([*argv, "--report", str(report_file), "--summary", str(summary_file)]) == 1
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["status"] == "error" and report["exit_code"] == 1
    assert str(missing) in report["error"]
    assert summary_file.read_text(encoding="utf-8").startswith("## eventsite build failed")
    assert "Traceback" not in capsys.readouterr().err


def broken_theme(root: Path) -> Path:
    theme = root / "broken-theme" / "templates" / "partials"
    theme.mkdir(parents=True)
    original = (SAMPLE.parents[1] / "themes/default/templates/partials/footer.html").read_text()
    (theme / "footer.html").write_text(
        original + '<a href="{{ root }}press-kit.html">Press kit</a>\n', encoding="utf-8"
    )
    return root / "broken-theme"


def test_check_links_fails_a_theme_with_a_broken_link(tmp_path: Path, capsys) -> None:
    theme, site = broken_theme(tmp_path), tmp_path / "site"
    argv = ["build", str(SAMPLE), "-o", str(site), "-q", "--theme", str(theme)]
    assert main([*argv, "--check-links"]) == 1
    err = capsys.readouterr().err
    assert "broken internal link" in err
    assert "index.html: press-kit.html (no such file)" in err
    assert "sessions/" in err and "../press-kit.html" in err
    assert not site.exists()  # nothing was published
    assert main(argv) == 0  # without --check-links the same build goes through


def test_check_links_passes_the_default_theme_and_checks_fragments(tmp_path: Path) -> None:
    from eventsite.linkcheck import broken_links

    site = tmp_path / "site"
    assert main(["build", str(SAMPLE), "-o", str(site), "-q", "--check-links"]) == 0
    files = {"a/index.html": b'<a href="../b.html#here">b</a><a href="#top" id="top">t</a>',
             "b.html": b'<p id="there"></p><img src="/abs.png"><a href="a/">a</a>',
             "c.css": b"body{background:url('missing.png')}"}  # fmt: skip
    found = {(b.page, b.link, b.reason) for b in broken_links(files, {})}
    assert found == {
        ("a/index.html", "../b.html#here", "no element with id 'here'"),
        ("b.html", "/abs.png", "root-relative: breaks in a subfolder and from file://"),
        ("c.css", "missing.png", "no such file"),
    }


def test_previous_history_comes_from_the_published_site_url(
    tmp_path: Path, httpserver: HTTPServer, capsys
) -> None:
    export, published = tmp_path / "export", tmp_path / "published"
    shutil.copytree(SAMPLE, export)
    assert main(["build", str(export), "-o", str(published), "-q"]) == 0
    history = (published / "changes.json").read_bytes()
    httpserver.expect_request("/2026/changes.json").respond_with_data(
        history, content_type="application/json"
    )
    edits = make_four_edits(export)
    fresh_ci_output = tmp_path / "ci-site"
    url = httpserver.url_for("/2026/") + "?token=s3cret"
    argv = ["build", str(export), "-o", str(fresh_ci_output), "--previous", url]
    assert main([*argv, "--report", str(tmp_path / "r.json")]) == 0
    changes = json.loads((fresh_ci_output / "changes.json").read_text(encoding="utf-8"))
    assert {(c["kind"], c["session"]) for c in changes["changes"]} == edits.expected()
    assert "s3cret" not in capsys.readouterr().err + (tmp_path / "r.json").read_text()


def test_previous_url_without_history_starts_one_but_errors_fail(
    tmp_path: Path, httpserver: HTTPServer, capsys
) -> None:
    httpserver.expect_request("/new/changes.json").respond_with_data("", status=404)
    httpserver.expect_request("/down/changes.json").respond_with_data("", status=503)
    site = tmp_path / "site"
    first = ["build", str(SAMPLE), "-o", str(site), "-q"]
    assert main([*first, "--previous", httpserver.url_for("/new/")]) == 0
    assert json.loads((site / "changes.json").read_text())["revision"] == 0
    assert main([*first, "--previous", httpserver.url_for("/down/")]) == 1
    err = capsys.readouterr().err
    assert "HTTP 503" in err and "/down/changes.json" in err
