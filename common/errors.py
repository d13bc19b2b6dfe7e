"""Errors that reach the user as one line and a non-zero exit, never a traceback.

The exit codes of every command:

- 0: success;
- 1: a check that ran and found a problem (``distill env-check`` mismatches): the
  command returns it, it is not an error;
- 2: refused input: arguments, files, checkpoints, corrupt label chunks, run folders.
  A refused command writes nothing.
"""


class DistillError(Exception):
    """Refused input, printed as ``distill COMMAND: error: <msg>``.

    ``exit_code`` is 2 (refused input); only a command that runs another (``demo``)
    passes on the exit code of the one that failed.
    """

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


class ConfigError(DistillError, ValueError):
    """A config field with a bad value, named by the field (e.g. ``max_depth``), not by a
    command-line flag: the CLI shows the flag that sets it (``distill.flags``)."""

    def __init__(self, field: str, problem: str, exit_code: int = 2):
        super().__init__(f"{field} {problem}", exit_code)
        self.field = field
        self.problem = problem
