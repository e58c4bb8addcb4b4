"""The one base class for problems a user can fix: the CLI prints them as one line and
exits 2 (missing key variable, unreachable endpoint, bad template, missing extra, busy run
directory). Kept dependency-free so every module can raise it cheaply."""


class UserFacingError(Exception):
    """A problem with the user's input or environment, with its fix, in one line."""
