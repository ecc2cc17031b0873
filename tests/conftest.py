"""Shared fixtures: where the real exports live, and built sites reused across tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EVENTSITE_SHARED", REPO.parent / "shared"))
REAL_EXPORTS = SHARED / "real_exports"
SCHEMAS = SHARED / "schemas"
SAMPLE = REPO / "sample_exports" / "devconf-2026"
CHROMIUM = "/usr/bin/chromium"

# subprocesses (`python -m eventsite ...`) must run the code under test, even when another
# checkout of eventsite is installed in the environment
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
)
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# fields whose e-mail addresses these organisers publish on purpose (a contact address in the
# description or code of conduct, speakers' own addresses in their bios): the privacy audit's
# opt-out, `--publish-field`; test_audit checks that such exports fail without it. Bios are named
# without their document: from a live API they come embedded in the sessions document too
PUBLISHED_FIELDS = {
    "EhealthAfrica": frozenset({"event.description"}),
    "FBF817": frozenset({"short-biography"}),
    "FOSSASIA16__fd411dc": frozenset({"long-biography"}),
    "FOSSASIASummit2016": frozenset({"long-biography"}),
    "OSCAL2017": frozenset({"event.code-of-conduct"}),
    "OTS16": frozenset({"long-biography"}),
}


def real_export_dirs() -> list[Path]:
    if not REAL_EXPORTS.is_dir():
        return []
    return sorted(p for p in REAL_EXPORTS.iterdir() if (p / "event").is_file())


def real_export_zips() -> list[Path]:
    if not REAL_EXPORTS.is_dir():
        return []
    return sorted(REAL_EXPORTS.glob("*.zip"))


def require_shared() -> None:
    if not REAL_EXPORTS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{REAL_EXPORTS} is missing; CI must provide ../shared")
        pytest.skip(f"{REAL_EXPORTS} is missing")


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample export, built once with a base URL."""
    from eventsite.build import BuildOptions, build

    out = tmp_path_factory.mktemp("sample") / "site"
    build(BuildOptions(source=str(SAMPLE), output=out, base_url="https://example.org/devconf/"))
    return out


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the session, driven by playwright."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run must install it")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    """A threaded local HTTP server on loopback, one per test module (media downloads)."""
    http = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    http.start()
    yield http
    http.clear()
    if http.is_running():
        http.stop()
