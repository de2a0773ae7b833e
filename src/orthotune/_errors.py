"""The one error type for bad user input.

Every message names the offending value, what is accepted, and the fix, on one line, e.g.
``--human-error 4.2 is not a rate: give a fraction in [0, 1] or a percent such as 4.2%``.
The CLI prints it alone on stderr and exits with code 2; library callers catch it as ValueError.
"""


class InvalidInputError(ValueError):
    """Bad input from the user (a file, a flag, a config value). Exit code 2 in the CLI."""

    def __init__(self, message: str) -> None:
        # One line, always: a multi-line message would read like a traceback.
        super().__init__(" ".join(str(message).split()))


class StorageUnavailableError(RuntimeError):
    """The study database stayed unreachable longer than the worker's retry limit.

    Not bad input: the worker retried with backoff and gave up. The CLI prints the one-line
    message and exits with ``EXIT_STORAGE_UNAVAILABLE`` (75, sysexits' EX_TEMPFAIL: "try again
    later"); every trial told before the outage stays in the study and its checkpoint on disk.
    """

    exit_code = 75


EXIT_STORAGE_UNAVAILABLE = StorageUnavailableError.exit_code
