"""Command line: `eventsite build|check|serve|fetch`. Exit codes: 0 ok, 1 error, 2 usage."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from eventsite import __version__
from eventsite.errors import EventsiteError, UsageError
from eventsite.progress import for_terminal

if TYPE_CHECKING:
    from eventsite.fetch.remote import RemoteMedia
    from eventsite.sources.api import ApiOptions

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def bundled_sample() -> Path:
    """The sample export shipped with eventsite (used when no source is given)."""
    package = Path(__file__).resolve().parent
    for candidate in (
        package / "sample_exports" / "devconf-2026",
        package.parent / "sample_exports" / "devconf-2026",
    ):
        if (candidate / "event").is_file():
            return candidate
    raise UsageError("no source given and the bundled sample export is missing")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="eventsite", description=__doc__)
    parser.add_argument("--version", action="version", version=f"eventsite {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    build = commands.add_parser("build", help="build the static site")
    _source_argument(build)
    build.add_argument("-o", "--output", type=Path, default=Path("site"), help="output folder")
    build.add_argument("--base-url", help="public URL of the site, for absolute links in feeds")
    build.add_argument("--theme", help="built-in theme name or a theme folder")
    build.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        help="render processes (default: one per core for big sites)",
    )
    build.add_argument(
        "--publish-field",
        action="append",
        default=[],
        metavar="NAME",
        help="let the privacy audit publish e-mails/phones from this input field "
        "(e.g. code-of-conduct or event.description); repeatable",
    )
    _media_options(build)
    _publishing_options(build)
    _common_options(build)

    check = commands.add_parser("check", help="validate an export without building")
    _source_argument(check)
    _common_options(check)

    fetch = commands.add_parser("fetch", help="save a live event as an export build reads offline")
    fetch.add_argument("source", metavar="URL", help="event URL, e.g. https://host/v1/events/ID")
    fetch.add_argument("-o", "--output", type=Path, required=True, help="snapshot .zip or folder")
    fetch.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    serve = commands.add_parser("serve", help="preview the site; rebuild and reload on changes")
    serve.add_argument("source", nargs="?", help="export .zip, folder or API URL")
    serve.add_argument("-o", "--output", type=Path, help="output folder (default: a temporary one)")
    serve.add_argument("--base-url", help="public URL of the site, for absolute links in feeds")
    serve.add_argument("--theme", help="built-in theme name or a theme folder")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on (8000)")
    serve.add_argument(
        "--poll", type=_poll_seconds, default=30.0, help="API source: check every N s"
    )
    _common_options(serve)
    for command in (build, check, fetch, serve):
        _api_options(command)
    return parser


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return int(value)


def _port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}")
    return int(value)


def _poll_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0.5 <= seconds <= 86400:
        raise argparse.ArgumentTypeError(f"not a number of seconds from 0.5 to 86400: {value!r}")
    return seconds


def _source_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", nargs="?", help="export .zip, folder or event URL (default: the bundled sample)"
    )


def _api_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "live API",
        "credentials come only from EVENTSITE_API_TOKEN, or EVENTSITE_API_EMAIL and "
        "EVENTSITE_API_PASSWORD",
    )
    group.add_argument(
        "--auth-scheme",
        choices=("JWT", "Bearer"),
        default="JWT",
        help="Authorization header type (Open Event servers use JWT)",
    )
    group.add_argument(
        "--timeout", type=_seconds, default=30.0, help="seconds to wait for the server to answer"
    )


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError("must be between 0 and 3600 seconds")
    return seconds


def _media_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("remote media (speaker photos, logos on other hosts)")
    group.add_argument(
        "--cache-dir", type=Path, help="media cache folder (default: .eventsite-cache beside -o)"
    )
    group.add_argument(
        "--offline", action="store_true", help="no network: use the media cache or placeholders"
    )
    group.add_argument(
        "--allow-private-media",
        action="store_true",
        help="allow media from private, loopback and link-local addresses (intranets, tests)",
    )


def _publishing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--previous",
        metavar="PATH|URL",
        help="the previous site (folder, changes.json or URL) to record schedule changes against "
        "(default: the output folder)",
    )
    parser.add_argument(
        "--check-links", action="store_true", help="fail on a broken internal link or asset"
    )
    parser.add_argument("--report", type=Path, metavar="FILE.json", help="write a JSON report")
    parser.add_argument(
        "--summary", type=Path, metavar="FILE.md", help="append a Markdown summary (CI job page)"
    )


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true", help="fail on any integrity warning")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every problem found")


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except EventsiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug or os.environ.get("EVENTSITE_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (run with --debug)", file=sys.stderr)
        return EXIT_ERROR


def run() -> NoReturn:
    """The `eventsite` command: `main()`, then an exit that skips the interpreter's teardown."""
    exit_without_teardown(main())


def exit_without_teardown(code: int) -> NoReturn:
    """Exit once the exit handlers have run and the standard streams are flushed, without
    freeing every object one by one: the teardown of a 10,000-session build took 0.4 s and
    wrote nothing. Any other thread still running gets the normal exit, which waits for it."""
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`eventsite … | head`)
            stream.flush()
    os._exit(code)


def _dispatch(args: argparse.Namespace) -> int:
    from eventsite import build as pipeline
    from eventsite.audit import parse_publish_fields
    from eventsite.report import print_report
    from eventsite.sources.api import ApiOptions

    api = ApiOptions(auth_scheme=args.auth_scheme, timeout=args.timeout)
    if args.command == "fetch":
        return _fetch(args, api)
    source = args.source or str(bundled_sample())
    if args.command == "serve":
        from eventsite.serve import run_command

        return run_command(args, source)
    if args.command == "check":
        report = pipeline.check(source, strict=args.strict, api=api)
        print_report(report, quiet=args.quiet, verbose=args.verbose)
        pipeline.fail_if_strict(report.issues, args.strict)
        return EXIT_OK
    from eventsite.filestore import FileStore

    remote = remote_media(args)
    options = pipeline.BuildOptions(
        source=source,
        output=args.output,
        base_url=args.base_url,
        theme=args.theme,
        strict=args.strict,
        jobs=args.jobs,
        publish_fields=parse_publish_fields(args.publish_field),
        api=api,
        fetch_remote=remote,
        media_cache=remote.cache,
        file_store=FileStore(remote.cache.root / "files"),
        progress=for_terminal(quiet=args.quiet),
        previous=args.previous,
        check_links=args.check_links,
    )
    from eventsite.ci_report import write_ci_reports

    try:
        report = pipeline.build(options)
    except EventsiteError as exc:
        write_ci_reports(args.report, args.summary, options, error=exc)
        raise
    write_ci_reports(args.report, args.summary, options, report=report)
    print_report(report, quiet=args.quiet, verbose=args.verbose)
    if not args.quiet and remote.stats.requested:
        print(f"  {remote.stats.summary()}")
    if remote.cache.write_error:
        print(f"warning: {remote.cache.write_error}", file=sys.stderr)
    return EXIT_OK


def _fetch(args: argparse.Namespace, api: ApiOptions) -> int:
    from eventsite.report import print_fetch_report
    from eventsite.snapshot import fetch

    print_fetch_report(fetch(args.source, args.output, api), quiet=args.quiet)
    return EXIT_OK


def remote_media(args: argparse.Namespace) -> RemoteMedia:
    """The media fetcher and cache for `eventsite build`."""
    from eventsite.fetch.remote import RemoteMedia

    output = args.output.absolute()
    cache_dir = args.cache_dir.absolute() if args.cache_dir else None
    if cache_dir is not None and cache_dir.is_relative_to(output):
        raise UsageError(f"--cache-dir {args.cache_dir} is inside the output folder {args.output}")
    return RemoteMedia.for_output(
        output, cache_dir=cache_dir, offline=args.offline, allow_private=args.allow_private_media
    )
