"""Authentication against the live API: a JWT from the environment or a log-in, renewed before
it expires, and never visible anywhere."""

from __future__ import annotations

import logging
import time
import zipfile
from pathlib import Path

import pytest
from api_server import _running_server, local_server, make_jwt, serve_export  # noqa: F401
from conftest import require_shared
from pytest_httpserver import HTTPServer
from sitecheck import site_files

from eventsite.cli import main
from eventsite.issues import IssueLog
from eventsite.sources.api import ApiOptions, read_api
from eventsite.sources.auth import token_expiry

EMAIL, PASSWORD = "organiser@example.org", "correct horse battery staple"


@pytest.fixture(autouse=True)
def _shared(monkeypatch: pytest.MonkeyPatch) -> None:
    require_shared()
    for name in ("EVENTSITE_API_TOKEN", "EVENTSITE_API_EMAIL", "EVENTSITE_API_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def auth_headers(server: HTTPServer) -> list[str | None]:
    return [r.headers.get("Authorization") for r, _ in server.log if r.path != "/auth/session"]


def test_jwt_expiry_is_read_without_the_secret() -> None:
    assert token_expiry(make_jwt(1_900_000_000)) == 1_900_000_000
    assert token_expiry("not-a-jwt") is None
    assert token_expiry("a.b!!.c") is None


def test_an_unpublished_event_needs_a_token(
    local_server: HTTPServer,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = serve_export(local_server, "OSCAL2017", token=make_jwt(time.time() + 3600))
    code = main(["build", url, "-o", str(tmp_path / "site"), "--offline"])
    _, err = capsys.readouterr()
    assert code == 1
    assert f"{url}?include=social-links%2Cevent-copyright: HTTP 401 Unauthorized" in err
    assert (
        "set EVENTSITE_API_TOKEN to a JWT, or EVENTSITE_API_EMAIL and EVENTSITE_API_PASSWORD" in err
    )
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("scheme", ["JWT", "Bearer"])
def test_the_token_from_the_environment_is_sent_with_the_chosen_scheme(
    local_server: HTTPServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    scheme: str,
) -> None:
    token = make_jwt(time.time() + 3600)
    url, _ = serve_export(local_server, "OSCAL2017", token=token, scheme=scheme)
    monkeypatch.setenv("EVENTSITE_API_TOKEN", token)
    code = main(["check", url, "--auth-scheme", scheme])
    assert code == 0, capsys.readouterr().err
    assert set(auth_headers(local_server)) == {f"{scheme} {token}"}


def test_the_wrong_scheme_is_refused_by_the_server(
    local_server: HTTPServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = make_jwt(time.time() + 3600)
    url, _ = serve_export(local_server, "OSCAL2017", token=token, scheme="Bearer")
    monkeypatch.setenv("EVENTSITE_API_TOKEN", token)
    assert main(["check", url]) == 1
    assert "the token in EVENTSITE_API_TOKEN was refused" in capsys.readouterr().err


def test_email_and_password_log_in_once_for_a_jwt(
    local_server: HTTPServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, api = serve_export(local_server, "OSCAL2017", users={EMAIL: PASSWORD})
    monkeypatch.setenv("EVENTSITE_API_EMAIL", EMAIL)
    monkeypatch.setenv("EVENTSITE_API_PASSWORD", PASSWORD)
    code = main(["check", url])
    assert code == 0, capsys.readouterr().err
    assert api.logins == 1
    assert set(auth_headers(local_server)) == {f"JWT {api.issued[0]}"}


def test_a_wrong_password_is_explained(
    local_server: HTTPServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = serve_export(local_server, "OSCAL2017", users={EMAIL: PASSWORD})
    monkeypatch.setenv("EVENTSITE_API_EMAIL", EMAIL)
    monkeypatch.setenv("EVENTSITE_API_PASSWORD", "wrong")
    assert main(["check", url]) == 1
    err = capsys.readouterr().err
    assert local_server.url_for("/auth/session") in err
    assert (
        "HTTP 401: the log-in was refused; check EVENTSITE_API_EMAIL and EVENTSITE_API_PASSWORD"
        in err
    )
    assert "wrong" not in err


def test_an_expired_token_without_credentials_fails_before_any_request(
    local_server: HTTPServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = serve_export(local_server, "OSCAL2017", token="x")
    monkeypatch.setenv("EVENTSITE_API_TOKEN", make_jwt(1_700_000_000))
    assert main(["check", url]) == 1
    err = capsys.readouterr().err
    assert "the token in EVENTSITE_API_TOKEN expired at 2023-11-14 22:13:20 UTC" in err
    assert url in err
    assert not local_server.log


def test_an_expired_token_with_credentials_logs_in_instead(
    local_server: HTTPServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, api = serve_export(local_server, "OSCAL2017", users={EMAIL: PASSWORD})
    monkeypatch.setenv("EVENTSITE_API_TOKEN", make_jwt(1_700_000_000))
    monkeypatch.setenv("EVENTSITE_API_EMAIL", EMAIL)
    monkeypatch.setenv("EVENTSITE_API_PASSWORD", PASSWORD)
    assert main(["check", url]) == 0, capsys.readouterr().err
    assert api.logins == 1


def test_a_revoked_token_with_credentials_logs_in_and_retries(
    local_server: HTTPServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, api = serve_export(local_server, "OSCAL2017", users={EMAIL: PASSWORD})
    monkeypatch.setenv("EVENTSITE_API_TOKEN", make_jwt(time.time() + 3600))  # unknown to it
    monkeypatch.setenv("EVENTSITE_API_EMAIL", EMAIL)
    monkeypatch.setenv("EVENTSITE_API_PASSWORD", PASSWORD)
    assert main(["check", url]) == 0, capsys.readouterr().err
    assert api.logins == 1
    statuses = [response.status_code for _, response in local_server.log]
    assert statuses[:3] == [401, 200, 200]  # refused, log-in, the same request again


def test_a_token_about_to_expire_is_warned_about(
    local_server: HTTPServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = make_jwt(time.time() + 60)
    url, _ = serve_export(local_server, "OSCAL2017", token=token)
    monkeypatch.setenv("EVENTSITE_API_TOKEN", token)
    with caplog.at_level(logging.WARNING, logger="eventsite.api"):
        assert main(["check", url]) == 0, capsys.readouterr().err
    warnings = [r.getMessage() for r in caplog.records if r.name == "eventsite.api"]
    assert len(warnings) == 1  # once, not once per request
    assert "the API token expires at" in warnings[0]
    assert "EVENTSITE_API_EMAIL" in warnings[0]


def test_a_long_running_client_logs_in_again_before_the_token_expires(
    local_server: HTTPServer,  # noqa: F811
) -> None:
    """What `serve` does: one ApiOptions (so one client) for every rebuild."""
    url, api = serve_export(local_server, "OSCAL2017", users={EMAIL: PASSWORD}, token_lifetime=3600)
    options = ApiOptions(environ={"EVENTSITE_API_EMAIL": EMAIL, "EVENTSITE_API_PASSWORD": PASSWORD})
    read_api(url, IssueLog(), options)
    read_api(url, IssueLog(), options)
    assert api.logins == 1  # the token is reused while it is fresh
    keeper = options.client(url).auth
    keeper.clock = lambda: time.time() + 3600 - 30  # half a minute before the token runs out
    api.token_lifetime = 7200  # the next token outlives the jump in time
    read_api(url, IssueLog(), options)
    assert api.logins == 2
    assert auth_headers(local_server)[-1] == f"JWT {api.issued[1]}"


def test_secrets_appear_in_no_output_log_snapshot_or_site(
    local_server: HTTPServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    env_token = make_jwt(time.time() + 60)  # accepted, but about to expire: a warning
    url, api = serve_export(
        local_server, "OpenTechSummit2017", users={EMAIL: PASSWORD}, token=env_token
    )
    monkeypatch.setenv("EVENTSITE_API_TOKEN", env_token)
    with caplog.at_level(logging.DEBUG):
        assert main(["check", url]) == 0  # the token alone: warned about, used
        monkeypatch.setenv("EVENTSITE_API_EMAIL", EMAIL)
        monkeypatch.setenv("EVENTSITE_API_PASSWORD", PASSWORD)
        assert main(["fetch", url, "-o", str(tmp_path / "s.zip")]) == 0  # now: log-ins
        assert (
            main(
                ["build", str(tmp_path / "s.zip"), "-o", str(tmp_path / "site"), "-v", "--offline"]
            )
            == 0
        )
        assert main(["build", url, "-o", str(tmp_path / "live"), "-v", "--offline"]) == 0
        assert main(["build", url + "x", "-o", str(tmp_path / "none"), "--offline"]) == 1
        monkeypatch.setenv("EVENTSITE_API_PASSWORD", "wrong " + PASSWORD)
        assert main(["check", url]) == 1
    assert "the API token expires at" in caplog.text
    out, err = capsys.readouterr()
    assert api.issued
    secrets = [env_token, PASSWORD, *api.issued]
    texts = {"stdout": out, "stderr": err, "log": caplog.text}
    with zipfile.ZipFile(tmp_path / "s.zip") as archive:
        for name in archive.namelist():
            texts[f"snapshot:{name}"] = archive.read(name).decode("utf-8")
    for site in ("site", "live"):
        for name, data in site_files(tmp_path / site).items():
            texts[f"{site}/{name}"] = data.decode("latin-1")
    leaks = [
        (where, i) for where, text in texts.items() for i, s in enumerate(secrets) if s in text
    ]
    assert leaks == []
    assert repr(ApiOptions(environ={"EVENTSITE_API_PASSWORD": PASSWORD})).count(PASSWORD) == 0


def test_a_netrc_entry_never_replaces_the_token(
    local_server: HTTPServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password elsewhere\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    token = make_jwt(time.time() + 3600)
    url, _ = serve_export(local_server, "OSCAL2017", token=token)
    monkeypatch.setenv("EVENTSITE_API_TOKEN", token)
    assert main(["check", url]) == 0, capsys.readouterr().err
    assert set(auth_headers(local_server)) == {f"JWT {token}"}
