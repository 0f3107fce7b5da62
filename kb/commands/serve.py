"""`kb serve`: the chat UI at http://127.0.0.1:7860.

The server starts at once; the index is brought up to date in the background (built when missing, updated
when sources changed) with its progress shown in the app's status bar. It binds to localhost unless --host
says otherwise, never creates a public share link unless --share is given, and --auth-file FILE (lines
USER:PASSWORD) or the KB_AUTH environment variable (USER:PASSWORD) asks for a login. A password is never taken
on the command line, where every local user can read it in `ps`. Requests whose Host header is not one of the
server's names are refused (add names with --allowed-host when --host opens the server to a network).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path
from typing import TextIO

from kb.config import Settings
from kb.errors import UsageError
from kb.text import shown

AUTH_ENV = "KB_AUTH"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def register(subparsers: argparse._SubParsersAction) -> None:
    from kb.cli import add_common_options, add_llm_options

    p = subparsers.add_parser(
        "serve", help="the chat UI in a browser (http://127.0.0.1:7860)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    p.add_argument("--share", action="store_true", help="also create a public gradio.live link (off by default)")
    p.add_argument("--auth-file", metavar="FILE",
                   help=f"require a login from this file's USER:PASSWORD lines (default: ${AUTH_ENV} when set)")
    p.add_argument("--auth", help=argparse.SUPPRESS)  # refused with a reason, see run()
    p.add_argument("--allowed-host", action="append", metavar="NAME",
                   help="also accept requests for this host name (repeatable; '.example.org' = its sub-domains; "
                        "setting allowed_hosts)")
    p.add_argument("--watch", action="store_true", help="re-index automatically when files in the sources folder change")
    p.add_argument("--no-build", action="store_true", help="do not update the index at start")
    add_llm_options(p)
    p.set_defaults(func=run)


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'user:password' -> (user, password); the password may contain ':'."""
    if value is None or value == "":
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise UsageError(f"{AUTH_ENV} expects USER:PASSWORD with both parts non-empty")
    return user, password


def read_auth_file(path: str | Path, err: TextIO | None = None) -> list[tuple[str, str]]:
    """USER:PASSWORD lines (blank lines and '#' comments skipped); warns when others may read the file."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"--auth-file {path}: cannot read it ({reason})") from None
    if err is not None and stat.S_IMODE(mode) & 0o077:
        print(f"kb serve: warning: {path} can be read by other users (mode {stat.S_IMODE(mode):o}); "
              f"run `chmod 600 {path}`", file=err)
    logins: list[tuple[str, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            login = parse_auth(line.strip())
        except UsageError:
            raise UsageError(f"--auth-file {path} line {number}: expected USER:PASSWORD with both parts non-empty") \
                from None
        assert login is not None
        logins.append(login)
    if not logins:
        raise UsageError(f"--auth-file {path} holds no USER:PASSWORD line")
    return logins


def logins_from(args: argparse.Namespace, err: TextIO) -> list[tuple[str, str]] | None:
    if args.auth is not None:
        raise UsageError("--auth USER:PASSWORD is refused: a password on the command line is visible to every local "
                         f"user in `ps`; put USER:PASSWORD lines in a file for --auth-file FILE, or set {AUTH_ENV}")
    if args.auth_file is not None:
        return read_auth_file(args.auth_file, err)
    login = parse_auth(os.environ.get(AUTH_ENV))
    return [login] if login else None


def with_allowed_hosts(settings: Settings, extra: list[str] | None) -> Settings:
    """--allowed-host names are added to the allowed_hosts setting (flags add to, not replace, the config)."""
    if not extra:
        return settings
    hosts = [h.strip() for h in settings.allowed_hosts.split(",") if h.strip()] + [h.strip() for h in extra]
    return settings.replace(allowed_hosts=",".join(hosts))


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kb.cli import settings_from

    auth = logins_from(args, err)
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
    settings = with_allowed_hosts(settings_from(args), args.allowed_host)
    if not settings.sources.is_dir():
        raise UsageError(f"sources folder {settings.sources} does not exist")
    if args.host not in LOCAL_HOSTS and auth is None:
        print(f"kb serve: warning: listening on {args.host} without a login: anyone who can reach this machine "
              "can read and change the documents", file=err)

    from kb.knowledge_base import KnowledgeBase
    from kb.watch import Changes, SourceWatcher
    from ui.app import launch
    from ui.service import KBService

    service = KBService(KnowledgeBase(settings=settings))
    if not args.no_build:
        service.rebuild_in_background(reason="startup")
    watcher = None
    if args.watch:
        def on_change(changes: Changes) -> None:
            print(f"kb serve: sources changed ({shown(changes.summary())}); re-indexing", file=err, flush=True)
            try:
                service.rebuild(reason=f"watch: {changes.summary()}")
            except Exception as exc:
                print(f"kb serve: re-index failed: {shown(str(exc))}", file=err, flush=True)

        watcher = SourceWatcher(settings.sources, on_change).start()
    host = "[::1]" if args.host == "::1" else args.host
    print(f"kb serve: http://{host}:{args.port} (sources {settings.sources}, index {settings.index})",
          file=out, flush=True)
    if settings.llm_url:
        print(f"kb serve: answers written by {settings.llm_url} and checked against their citations; "
              "extractive when it is down, slow or unsupported", file=out, flush=True)
    try:
        launch(service, host=args.host, port=args.port, share=args.share, auth=auth, quiet=True)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
    finally:
        if watcher is not None:
            watcher.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    from kb.cli import main

    sys.exit(main(["serve", *sys.argv[1:]]))
