"""The typer application every command module registers on (agent/cli/__init__.py imports
them all), and options shared by several commands."""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="Mine activation functions that generalise out of distribution.")

LAB_PROFILE_HELP = ("quick (one seed, 300 steps) or default: fills the [lab] keys the config "
                    "leaves unset")
