"""Structured logs on stderr: ``key=value`` lines for people, JSON lines for machines.

stdout stays reserved for results (answers, `--json`), so logs never corrupt a pipe. Verbosity:
``--quiet`` errors only (and no progress bars), default warnings (e.g. an LLM fallback), ``-v`` info
(timings, dropped LLM sentences), ``-vv`` debug. Only the ``kb`` logger is configured: libraries stay quiet.
Extra fields passed with ``log.info("msg", extra={...})`` become keys of the line.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from typing import Any, TextIO

LOG_FORMATS = ("kv", "json")

# Attributes every LogRecord has: anything else on a record came from ``extra=`` and is printed as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created)) + f".{int(record.msecs):03d}",
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_"):
            data[key] = value
    if record.exc_info:
        data["exc"] = logging.Formatter().formatException(record.exc_info)
    return data


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), default=str, ensure_ascii=False)


def _kv_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    if text == "" or any(ch.isspace() or ch in '"=' for ch in text):
        return json.dumps(text, ensure_ascii=False)
    return text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_kv_value(v)}" for k, v in _fields(record).items())


def level_for(verbose: int = 0, quiet: bool = False) -> int:
    if quiet:
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)


def setup_logging(verbose: int = 0, quiet: bool = False, fmt: str = "kv", stream: TextIO | None = None) -> logging.Logger:
    """Configure the ``kb`` logger (idempotent: replaces the handler installed by an earlier call)."""
    if fmt not in LOG_FORMATS:
        from kb.errors import UsageError

        raise UsageError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {fmt!r}")
    logger = logging.getLogger("kb")
    for handler in list(logger.handlers):
        if getattr(handler, "_kb_handler", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JSONFormatter() if fmt == "json" else KeyValueFormatter())
    handler._kb_handler = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level_for(verbose, quiet))
    logger.propagate = False
    return logger


def add_logging_options(parser: argparse.ArgumentParser, top_level: bool = False) -> None:
    """``-v/--verbose``, ``-q/--quiet``, ``--log-format``; accepted before or after the subcommand."""
    # On subcommands the defaults are suppressed, so `kb -v ask` is not reset by the subparser.
    default: dict[str, Any] = {} if top_level else {"default": argparse.SUPPRESS}
    parser.add_argument("-v", "--verbose", action="count", help="more logs on stderr (-vv for debug)",
                        **({"default": 0} if top_level else default))
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr; no progress bars",
                        **({"default": False} if top_level else default))
    parser.add_argument("--log-format", choices=LOG_FORMATS, help="stderr log lines as key=value (default) or JSON",
                        **({"default": "kv"} if top_level else default))


__all__ = ["LOG_FORMATS", "JSONFormatter", "KeyValueFormatter", "add_logging_options", "level_for", "setup_logging"]
