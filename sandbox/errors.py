"""The one base class for problems a user can fix (a malformed config, a missing file or
dataset, an unreachable model, a busy run directory). The CLI prints them as one line naming
the fix and exits 2; anything else is a bug and is reported as one.

It lives on the ground floor (sandbox/ imports no other actmine folder) so that every folder
can raise it without importing a layer above its own.
"""


class UserError(Exception):
    """A problem with the user's input or environment, with its fix, in one line."""
