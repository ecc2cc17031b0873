"""The privacy audit between render and write: what it catches, how it reports, the opt-out."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REAL_EXPORTS, require_shared
from hostile_corpus import SESSIONS, export_files, write_folder

from eventsite import audit, urls
from eventsite.build import load_graph, render_site
from eventsite.cli import main
from eventsite.errors import PrivacyError
from eventsite.issues import IssueLog
from eventsite.media import MediaResolver
from eventsite.render.pages import plan_pages
from eventsite.render.theme import Theme
from eventsite.render.view import build_view

ADDRESS = "ana.kovac@example.org"


def _speaker(**fields: object) -> dict[str, object]:
    return {"id": 1, "name": "Ana Kovač", "sessions": [{"id": 1}], **fields}


def _export(tmp_path: Path, speaker: dict[str, object], **files: object) -> Path:
    sessions = [{**SESSIONS[0], "speakers": [{"id": 1, "name": "Ana Kovač"}]}, SESSIONS[1]]
    merged = {"sessions": sessions, "speakers": [speaker], **files}
    return write_folder(tmp_path / "export", export_files(**merged))


def _build(
    source: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    code = main(["build", str(source), "-o", str(out), *extra])
    return code, capsys.readouterr().err


def test_email_in_a_public_field_is_removed_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _export(tmp_path, _speaker(**{"long-biography": f"Write to {ADDRESS} any time."}))
    out = tmp_path / "site"
    code, err = _build(source, out, capsys)
    assert code == 0, err
    assert "speaker 1: 1 e-mail address removed from long-biography" in err
    assert "--publish-field long-biography" in err
    page = (out / "speakers" / "1.html").read_text(encoding="utf-8")
    assert ADDRESS not in page and "Write to [e-mail address removed] any time." in page
    code, err = _build(source, tmp_path / "strict", capsys, "--strict")
    assert code == 1 and "contact-removed" in err


def test_audit_is_the_second_line_when_a_field_is_published(tmp_path: Path) -> None:
    """With redaction off for a field, the audit still sees the address and names the field."""
    source = _export(tmp_path, _speaker(**{"long-biography": f"Write to {ADDRESS} any time."}))
    issues = IssueLog()
    raw, graph = load_graph(str(source), issues, publish=frozenset({"long-biography"}))
    view = build_view(graph, MediaResolver(raw.media, issues, resize=False), urls.BaseUrl())
    files = render_site(view, plan_pages(view), Theme.load(None))
    findings = audit.audit(files, raw.documents, frozenset())
    assert [(f.path, f.kind, f.shown) for f in findings] == [
        ("speakers/1.html", "e-mail address", "a…@example.org")
    ]
    with pytest.raises(PrivacyError) as caught:
        audit.enforce(files, raw.documents, frozenset())
    assert "pass --publish-field for: speakers.long-biography" in str(caught.value)
    assert ADDRESS not in str(caught.value)  # masked on the terminal too


@pytest.mark.parametrize("flag", ["long-biography", "speakers.long-biography", "long_biography"])
def test_publish_field_lets_that_field_through(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _export(tmp_path, _speaker(**{"long-biography": f"Write to {ADDRESS} any time."}))
    code, err = _build(source, tmp_path / "site", capsys, "--publish-field", flag)
    assert code == 0, err
    assert ADDRESS in (tmp_path / "site" / "speakers" / "1.html").read_text(encoding="utf-8")


def test_publishing_another_field_does_not_help(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _export(tmp_path, _speaker(**{"long-biography": f"Write to {ADDRESS}."}))
    code, _ = _build(source, tmp_path / "site", capsys, "--publish-field", "event.description")
    assert code == 0
    assert ADDRESS not in (tmp_path / "site" / "speakers" / "1.html").read_text(encoding="utf-8")


def test_private_email_repeated_in_a_published_field_still_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    speaker = _speaker(email=ADDRESS, **{"short-biography": f"Mail: {ADDRESS}"})
    source = _export(tmp_path, speaker)
    code, err = _build(source, tmp_path / "site", capsys, "--publish-field", "short-biography")
    assert code == 1
    assert "(speakers.email, speakers.short-biography)" in err
    assert _build(source, tmp_path / "s2", capsys, "--publish-field", "email", "--publish-field", "short-biography")[0] == 0  # fmt: skip


def test_obfuscated_addresses_are_still_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bio = '<p>ana.kovac&#64;example.org or <a href="mailto:ana.kovac%40example.org">mail</a></p>'
    source = _export(tmp_path, _speaker(**{"long-biography": bio}))
    code, err = _build(source, tmp_path / "site", capsys)
    assert code == 0, err
    assert "e-mail address removed from long-biography" in err
    page = (tmp_path / "site" / "speakers" / "1.html").read_text(encoding="utf-8")
    assert "example.org" not in page and "mailto" not in page


def test_phone_numbers_are_found_formatted_or_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    speaker = _speaker(mobile="+386 41 555 123", **{"short-biography": "Call +386 1 2345 678."})
    sessions = [{**SESSIONS[0], "title": "Reach me on 38641555123"}]
    source = _export(tmp_path, speaker, sessions=sessions)
    code, err = _build(source, tmp_path / "site", capsys)
    assert code == 1
    assert "…78" not in err  # the bio's number was redacted before render
    # the private mobile number, written without spaces in a title, is the audit's catch
    assert "sessions/1.html: phone number …23 (sessions.title, speakers.mobile)" in err


def test_private_free_text_copied_into_a_public_field_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = "Please do not publish this, my employer does not know I am speaking here"
    sessions = [{**SESSIONS[0], "comments": note, "short-abstract": f"Intro. {note}."}]
    source = _export(tmp_path, _speaker(), sessions=sessions)
    code, err = _build(source, tmp_path / "site", capsys)
    assert code == 1
    assert ": private text (14 words) (sessions.comments)" in err


def test_private_fields_of_the_input_stay_out_by_default(tmp_path: Path) -> None:
    speaker = _speaker(email=ADDRESS, mobile="+386 41 555 123", **{"heard-from": "A friend"})
    source = _export(tmp_path, speaker)
    assert main(["build", str(source), "-o", str(tmp_path / "site")]) == 0
    for path in (tmp_path / "site").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".ics", ".xml", ".json"):
            text = path.read_text(encoding="utf-8")
            assert ADDRESS not in text and "555 123" not in text, path


def test_address_coming_from_the_theme_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    theme = tmp_path / "theme"
    (theme / "templates" / "partials").mkdir(parents=True)
    (theme / "templates" / "partials" / "footer.html").write_text(
        "<footer>Questions: office@theme.example</footer>", encoding="utf-8"
    )
    source = _export(tmp_path, _speaker())
    code, err = _build(source, tmp_path / "site", capsys, "--theme", str(theme))
    assert code == 1
    assert "index.html: e-mail address o…@theme.example (not from the export)" in err


def test_bad_publish_field_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _export(tmp_path, _speaker())
    code, err = _build(source, tmp_path / "site", capsys, "--publish-field", "bio; rm -rf /")
    assert code == 2
    assert "--publish-field 'bio; rm -rf /': expected a field name" in err


def test_raw_input_files_and_copies_are_findings() -> None:
    documents = {"event": {"id": 1, "name": "E"}, "sessions": [{"id": 1, "title": "T"}]}
    files = {
        "index.html": b"<p>fine</p>",
        "data/sessions.json": b"[]",
        "export.json": b'[{"id": 1, "title": "T"}]',
        "event": b"{}",
    }
    found = {(f.path, f.kind) for f in audit.audit(files, documents, frozenset())}
    assert found == {
        ("data/sessions.json", "raw input file"),
        ("export.json", "copy of the input"),
        ("event", "raw input file"),
    }


def test_folded_calendar_lines_are_unfolded_before_scanning() -> None:
    documents = {"event": {"email": ADDRESS}, "sessions": []}
    folded = b"BEGIN:VCALENDAR\r\nSUMMARY:Talk by ana.kov\r\n ac@example.org\r\nEND:VCALENDAR\r\n"
    (finding,) = audit.audit({"schedule.ics": folded}, documents, frozenset())
    assert (finding.kind, finding.shown, [str(s) for s in finding.sources]) == (
        "e-mail address",
        "a…@example.org",
        ["event.email"],
    )


def test_retina_image_names_and_handles_are_not_addresses() -> None:
    page = b'<img src="logo@2x.png"> <a href="https://x.social/@ana">@ana@x.social</a>'
    assert audit.audit({"index.html": page}, {"event": {}}, frozenset()) == []


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("EhealthAfrica", {"event.description"}),
        ("OTS16", {"speakers.long-biography"}),
        ("FBF817", {"speakers.short-biography"}),
    ],
)
def test_real_exports_with_published_addresses_are_found_by_field(
    name: str, fields: set[str]
) -> None:
    require_shared()
    issues = IssueLog()
    # publishing the fields turns redaction off, so the audit must see what it would let out
    raw, graph = load_graph(str(REAL_EXPORTS / name), issues, publish=frozenset(fields))
    view = build_view(graph, MediaResolver(raw.media, issues), urls.BaseUrl())
    files = render_site(view, plan_pages(view), Theme.load(None))
    findings = audit.audit(files, raw.documents, frozenset())
    assert {str(s) for f in findings for s in f.sources} == fields
    assert {f.kind for f in findings} == {"e-mail address"}
    assert audit.audit(files, raw.documents, frozenset(fields)) == []


def test_real_export_with_a_contact_address_needs_the_organisers_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_shared()
    source = REAL_EXPORTS / "OSCAL2017"
    code, err = _build(source, tmp_path / "site", capsys)
    assert code == 0, err
    assert "event 47: 2 e-mail addresses removed from code-of-conduct" in err
    page = tmp_path / "site" / "code-of-conduct.html"
    assert "@" not in page.read_text(encoding="utf-8")
    flag = ("--publish-field", "event.code-of-conduct")
    assert _build(source, tmp_path / "site", capsys, *flag)[0] == 0
    assert "@" in page.read_text(encoding="utf-8")
