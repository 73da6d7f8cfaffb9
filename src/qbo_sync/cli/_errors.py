"""The one error type the command line reports as a message and an exit code."""

from __future__ import annotations

__all__ = ["CLIError"]


class CLIError(Exception):
    """A failure the command line explains in one line.

    Args:
        message: What went wrong and, when there is one, what to do.
        exit_code: 2 for bad usage (a path that cannot be used), 1 otherwise.
    """

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
