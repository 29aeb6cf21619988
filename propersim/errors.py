"""The project's own user-error types: problems a user can fix, which the CLI prints as one line.

Anything else is a bug and keeps its traceback. Each type also derives from the built-in exception it
refines, so callers may catch either.
"""

from __future__ import annotations


class UserError(Exception):
    """A user-fixable problem: the message says what was got, what was expected and how to fix it."""


class InvalidInputError(UserError, ValueError):
    """A bad value in an input: a persona file, a log, a run directory's contents."""


class MissingInputError(UserError, FileNotFoundError):
    """A file or run directory the command needs is not there."""


class RunExistsError(UserError, FileExistsError):
    """The output directory already holds a run."""


class RunInUseError(UserError, BlockingIOError):
    """Another process is running in the same run directory."""


class StorageWriteError(OSError):
    """A write to the run's storage failed (a full disk, an object store refusing or unreachable); ``day`` is
    the simulated day being written when the day loop knows it."""

    def __init__(self, uri: str, cause: OSError):
        super().__init__(cause.errno, str(cause), uri)
        self.uri, self.cause, self.day = uri, cause, None


class ClusterUnreachableError(UserError, ConnectionError):
    """The Ray address given cannot be reached."""
