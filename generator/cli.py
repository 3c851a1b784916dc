"""The `kommunenyt` command line: build and serve."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from generator import __version__
from generator.build import BuildOptions, BuildReport, build
from generator.config import load_config
from generator.errors import SiteError
from generator.newsletter.arguments import add_commands as add_newsletter_commands
from generator.progress import terminal_progress, timing_lines

# A build holds hundreds of thousands of long-lived objects (the cache index, every
# article's metadata) and creates few reference cycles. With Python's default thresholds the
# collector walks all of them again and again: ≈ 0.5 s of a 2.5 s one-edit rebuild of
# 10,000 articles. For long-running commands (serve, the signup service) collections stay
# on, just much rarer; a build turns them off (`_collector_off`).
GC_THRESHOLDS = (100_000, 50, 100)


@contextlib.contextmanager
def _collector_off() -> Iterator[None]:
    """No cycle collection during a build: a build ends within minutes and makes few
    reference cycles (10,000 articles: peak memory 178 → 182 MB), while even rare
    collections examine every new object once: ≈ 0.1 s of a one-edit rebuild and 2.4 s of a
    cold build (its worker processes inherit the setting). Memory is still freed as soon as
    nothing refers to it: that is reference counting, not the collector."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def run() -> NoReturn:
    """The `kommunenyt` program: `main`, then an exit that does not free the heap object by
    object. A build ends holding hundreds of thousands of objects (the cache index, every
    article's metadata): tearing them down takes ≈ 0.1–0.2 s at 10,000 articles and gives
    nothing, the operating system takes the process back whole. Every command has closed
    its files, servers and worker processes by the time it returns."""
    _exit(main(exiting=True))


def _exit(code: int) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None, exiting: bool = False) -> int:
    """Run one command; `exiting`: the process ends right after (see `run`)."""
    gc.set_threshold(*GC_THRESHOLDS)
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    args.exiting = exiting
    try:
        return args.run(args)
    except SiteError as exc:
        _print_problems(exc)
        if args.debug:
            traceback.print_exc()
        return 1
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in kommunenyt: say so briefly, details with --debug
        if args.debug:
            raise
        print(
            f"kommunenyt: internal error: {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return 70


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kommunenyt", description="Build Danish municipal IT news sites."
    )
    parser.add_argument("--version", action="version", version=f"kommunenyt {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--site", type=Path, default=Path("."), help="site folder (default: .)")
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build_cmd = commands.add_parser("build", parents=[common], help="build the site")
    build_cmd.add_argument("--output", type=Path, help="output folder (default: SITE/output)")
    build_cmd.add_argument(
        "--drafts",
        action="store_true",
        help="include drafts and future articles, marked, for previews",
    )
    build_cmd.add_argument("--base-url", help="override [site] base_url")
    build_cmd.add_argument(
        "--jobs",
        type=_positive,
        help="processes for rendering (default: one per core); the output is the same",
    )
    build_cmd.add_argument(
        "--no-cache",
        action="store_true",
        help="ignore .kommunenyt-cache/ and render everything (the output is the same)",
    )
    build_cmd.add_argument("--timings", action="store_true", help="print the time of each phase")
    build_cmd.add_argument(
        "--no-search", action="store_true", help="skip the search index (its page finds nothing)"
    )
    build_cmd.set_defaults(run=_run_build)

    serve_cmd = commands.add_parser(
        "serve",
        parents=[common],
        help="live preview on 127.0.0.1: rebuilds on every save, the open tab reloads itself",
    )
    serve_cmd.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument(
        "--no-drafts", action="store_true", help="hide drafts and future articles in the preview"
    )
    serve_cmd.set_defaults(run=_run_serve)

    new_cmd = commands.add_parser(
        "new", parents=[common], help="start an article: content/articles/YYYY/<slug>.md"
    )
    new_cmd.add_argument("title", help='the headline, in quotes: "Køge flytter it-driften"')
    new_cmd.add_argument("--section", help="section (default: [site] default_section)")
    new_cmd.add_argument("--tags", default="", help="comma-separated tags: Cloud,KL")
    new_cmd.set_defaults(run=_run_new)

    check_cmd = commands.add_parser(
        "check", parents=[common], help="find mistakes in the content, with file and line"
    )
    check_cmd.add_argument("--strict", action="store_true", help="warnings fail too")
    check_cmd.set_defaults(run=_run_check)
    add_newsletter_commands(commands, common)
    return parser


def _run_build(args: argparse.Namespace) -> int:
    site = args.site.resolve()
    config = load_config(site)
    if args.base_url:
        config = config.with_base_url(args.base_url)
    output = (args.output or site / "output").resolve()
    options = BuildOptions(
        output,
        include_drafts=args.drafts,
        search=not args.no_search,
        jobs=args.jobs,
        cache=not args.no_cache,
        keep_objects=args.exiting,
    )
    with _collector_off():
        report = build(config, options, terminal_progress())
    _print_summary(report, output)
    if args.timings:
        print("Time per phase:", file=sys.stderr)
        for line in timing_lines(report.timings):
            print(line, file=sys.stderr)
    if args.exiting:
        _exit(0)  # here, while the report still holds the build's objects (keep_objects)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("use 1 or more")
    return value


def _run_serve(args: argparse.Namespace) -> int:
    from generator.preview import run_preview

    run_preview(
        args.site,
        args.host,
        args.port,
        include_drafts=not args.no_drafts,
        debug=args.debug,
        progress=terminal_progress(),
    )
    return 0


def _run_new(args: argparse.Namespace) -> int:
    from generator.new import new_article

    tags = [t for t in args.tags.split(",") if t.strip()]
    path = new_article(args.site.resolve(), args.title, args.section, tags)
    print(path.relative_to(args.site.resolve()))
    return 0


def _run_check(args: argparse.Namespace) -> int:
    from generator.check import check_site, format_report

    report = check_site(args.site)
    for line in format_report(report, args.strict):
        print(line)
    return 1 if report.failed(args.strict) else 0


def _print_summary(report: BuildReport, output: Path) -> None:
    for warning in report.warnings:
        print(warning, file=sys.stderr)
    print(
        f"Built {_count(report.articles, 'article')}, {_count(report.pages, 'page')}, "
        f"{_count(report.feeds, 'feed')}: "
        f"{report.files} files ({report.changed} changed, {report.rendered} rendered) "
        f"in {report.seconds:.2f} s → {output}",
        file=sys.stderr,
    )


def _print_problems(exc: SiteError) -> None:
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    count = len(exc.problems)
    print(
        f"Build failed: {count} problem{'s' if count != 1 else ''}; nothing was written.",
        file=sys.stderr,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
