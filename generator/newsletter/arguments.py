"""The newsletter commands' arguments; the commands themselves are imported when one runs.

A build needs none of the newsletter's modules (address validation, the store, the mailer),
whose imports cost ≈ 55 ms of every command otherwise.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def _runner(name: str) -> Callable[[argparse.Namespace], int]:
    """generator.newsletter.commands.<name>, imported on the call."""

    def run(args: argparse.Namespace) -> int:
        from generator.newsletter import commands

        return getattr(commands, name)(args)

    return run


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    server = commands.add_parser(
        "signup-server",
        parents=[common],
        help="run the builtin newsletter signup service (double opt-in)",
    )
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8025)
    server.add_argument(
        "--output", type=Path, help="the built site, for the navigation (default: SITE/output)"
    )
    server.set_defaults(run=_runner("run_server"))

    subscribers = commands.add_parser(
        "subscribers", help="export, show or erase newsletter subscribers"
    )
    actions = subscribers.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export", parents=[common], help="confirmed subscribers as CSV on standard output"
    )
    export.add_argument("--list", dest="list_id", help="only this list (default: all)")
    show = actions.add_parser("show", parents=[common], help="everything stored about one address")
    show.add_argument("email")
    delete = actions.add_parser("delete", parents=[common], help="erase one address completely")
    delete.add_argument("email")
    purge = actions.add_parser(
        "purge", parents=[common], help="erase unconfirmed signups and old unsubscriptions"
    )
    purge.add_argument("--days", type=int, default=30, help="keep unsubscriptions this long")
    actions.add_parser("count", parents=[common], help="subscriptions per list, no addresses")
    backup = actions.add_parser(
        "backup",
        parents=[common],
        help="a consistent copy of the database in FILE, also while the service runs",
    )
    backup.add_argument("file", type=Path)
    restore = actions.add_parser(
        "restore",
        parents=[common],
        help="replace the database with a backup (stop the service first); "
        "the current database is kept beside it",
    )
    restore.add_argument("file", type=Path)
    subscribers.set_defaults(run=_runner("run_subscribers"))

    digest = commands.add_parser(
        "newsletter", parents=[common], help="render (and with --send, send) the newsletter"
    )
    digest.add_argument("--since", default="7d", help="articles since: 7d, 36h, 2w or a date")
    digest.add_argument("--list", dest="list_id", help="the list (default: the default list)")
    digest.add_argument(
        "--send", action="store_true", help="mail it to the list's confirmed subscribers"
    )
    digest.set_defaults(run=_runner("run_newsletter"))
