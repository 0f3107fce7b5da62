"""Errors a user can act on. Each message says what went wrong and what to do next."""

from __future__ import annotations


class KBError(Exception):
    """Base class: the CLI prints the message on one line and exits with ``exit_code``."""

    exit_code = 1


class ConfigError(KBError):
    exit_code = 2


class UsageError(KBError):
    """Bad request from the user: an empty question, an unreadable sources folder."""

    exit_code = 2


class IndexMissingError(KBError):
    exit_code = 3


class IndexCorruptError(KBError):
    exit_code = 4


class IndexMismatchError(KBError):
    """The index was built with another model or chunker than the one configured."""

    exit_code = 5


class IndexBusyError(KBError):
    """Another process holds the rebuild lock."""

    exit_code = 6


class IndexWriteError(KBError):
    """A new index version could not be written (disk full, no permission); the previous version stays live."""

    exit_code = 8


class SourceError(KBError):
    """One source file cannot be read; the build reports it and goes on with the others."""
