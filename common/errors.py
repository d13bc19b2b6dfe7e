"""Errors that reach the user as one line and a non-zero exit, never a traceback."""


class DistillError(Exception):
    """A problem with the user's input or files: printed as ``distill: error: <msg>``.

    ``exit_code`` is 2 for bad arguments (unknown names, bad numbers), 1 for
    problems found in files (corrupted datasets, wrong checkpoints).
    """

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code
