"""Config files for searches that use a model: the tiny test lab plus [search], [ensemble]
and [[models]] sections."""

from __future__ import annotations

import json

from support import TINY_TOML

TINY_LAB = TINY_TOML.split("[search]")[0]


def _value(v) -> str:
    return json.dumps(v) if not isinstance(v, bool) else str(v).lower()


def config_text(search: dict, models: list[dict], ensemble: dict | None = None,
                prompts: dict | None = None) -> str:
    parts = [TINY_LAB, "[search]"]
    parts += [f"{k} = {_value(v)}" for k, v in search.items()]
    for name, section in (("ensemble", ensemble), ("prompts", prompts)):
        if section:
            parts.append(f"\n[{name}]")
            parts += [f"{k} = {_value(v)}" for k, v in section.items()]
    for model in models:
        parts.append("\n[[models]]")
        parts += [f"{k} = {_value(v)}" for k, v in model.items()]
    return "\n".join(parts) + "\n"
