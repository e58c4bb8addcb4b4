"""The one mapping from exceptions to what a user sees: a user error (``UserError``, the one
base in sandbox/errors.py) is one line naming the fix and exit code 2; anything else is a bug
or an OS failure, still one line (with exit code 1 and how to see the traceback)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import typer
from actmine.sandbox.errors import UserError
from rich.markup import escape

from .console import err


def fail(message: str, code: int = 2):
    err.print(f"[bold red]error:[/bold red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def handles_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own usage errors
            raise
        except UserError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted: everything finished is stored; run the same command to resume",
                 code=130)
        except Exception as exc:  # noqa: BLE001 - a bug or an OS failure: still one line
            if os.environ.get("ACTMINE_TRACEBACK"):
                raise
            fail(f"{type(exc).__name__}: {exc} (everything finished is stored; set "
                 f"ACTMINE_TRACEBACK=1 to see where it failed)".replace("\n", " "), code=1)

    return wrapper


def read_candidate(path: Path) -> str:
    """The text of a candidate file, or a UserError naming what is wrong with it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; pass a Python file defining activation(x)") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a directory; pass a Python file defining activation(x)") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; pass a Python source file") from None
