"""Prompt templates: plain text files in ``prompts/``, overridable file by file.

A template is Python ``str.format`` text with plain ``{name}`` placeholders (write ``{{``
for a literal brace). Every template is loaded and checked when the run starts, so a typo
in a placeholder is a one-line error before any request is sent, never a crash mid-run.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from actmine.evaluators.known import PROMPT, with_role
from actmine.sandbox.errors import UserError

TEMPLATES = ("system", "rewrite", "diff", "crossover", "repair")

# What a template may mention. Every name is always provided (empty or "n/a" when it does
# not apply), so any template may use any of them.
PLACEHOLDERS = {
    "max_flops": "FLOP budget per element",
    "max_nodes": "cap on ops in the traced graph",
    "parent_id": "id of the parent program",
    "parent_source": "the parent's source",
    "parent_fitness": "the parent's fitness, with its ratio to ReLU",
    "parent_flops": "the parent's FLOPs per element",
    "parent_families": "the parent's log ratio vs ReLU per task family",
    "parent_validation": "the parent's held-out validation score (never used for selection)",
    "parent_diagnostics": "what the parent's curve does beyond the box and where the lab "
                          "says it fails, one '- note' a line (from its IR and its scores)",
    "other_id": "id of the second parent (crossover)",
    "other_source": "the second parent's source (crossover)",
    "other_fitness": "the second parent's fitness (crossover)",
    "other_flops": "the second parent's FLOPs (crossover)",
    "other_families": "the second parent's per-family figures (crossover)",
    "other_validation": "the second parent's validation score (crossover)",
    "other_diagnostics": "the second parent's diagnostics (crossover)",
    "inspirations": "other programs with their fitness and source",
    "recent_rejections": "recent rejected children, one line each: [category] reason",
    "child_source": "the rejected child's source (repair)",
    "reject_category": "why it was rejected: the category (repair)",
    "reject_reason": "why it was rejected: the checker's message (repair)",
    "best_fitness": "the best fitness found so far",
}


class PromptError(UserError):
    """A template problem a user must fix (one line)."""


@dataclass(frozen=True)
class TemplateSet:
    texts: dict[str, str]
    origins: dict[str, str]  # template -> file it came from (for messages and provenance)
    seeds: tuple[str, ...] = ()  # example programs shown before anything is evaluated

    def render(self, name: str, context: dict[str, str]) -> str:
        return self.texts[name].format_map(context)


def default_dir() -> Path:
    return Path(str(resources.files("actmine.prompts")))


def load_templates(override_dir: str | Path | None = None) -> TemplateSet:
    texts: dict[str, str] = {}
    origins: dict[str, str] = {}
    defaults = default_dir()
    for name in TEMPLATES:
        path = defaults / f"{name}.txt"
        texts[name], origins[name] = path.read_text(encoding="utf-8"), str(path)
    if override_dir:
        directory = Path(override_dir).expanduser()
        if not directory.is_dir():
            raise PromptError(f"prompts directory {directory} does not exist; create it or "
                              f"unset prompts.dir (copy the defaults with 'actmine prompts "
                              f"copy {directory}')")
        for path in sorted(directory.glob("*.txt")):
            if path.stem not in TEMPLATES:
                raise PromptError(f"{path}: not a template name (expected one of "
                                  f"{', '.join(t + '.txt' for t in TEMPLATES)})")
            try:
                texts[path.stem] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise PromptError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
            origins[path.stem] = str(path)
    for name in TEMPLATES:
        _check(texts[name], origins[name])
    return TemplateSet(texts, origins, _seeds(override_dir))


def _seeds(override_dir: str | Path | None) -> tuple[str, ...]:
    """The override directory's seeds/*.py if it has any, else the known activations marked
    as prompt examples (evaluators/known.py)."""
    folder = Path(override_dir).expanduser() / "seeds" if override_dir else None
    files = sorted(folder.glob("*.py")) if folder and folder.is_dir() else []
    if files:
        try:
            return tuple(path.read_text(encoding="utf-8") for path in files)
        except (OSError, UnicodeDecodeError) as exc:
            raise PromptError(f"{folder}: cannot read a seed as UTF-8 text ({exc})") from None
    return tuple(k.source for k in sorted(with_role(PROMPT), key=lambda k: k.key))  # as files


def write_seeds(folder: Path) -> list[Path]:
    """The default example programs as files a user can edit (``actmine prompts copy``)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for known in with_role(PROMPT):
        path = folder / f"{known.key}.py"
        if not path.exists():
            path.write_text(known.source, encoding="utf-8")
            written.append(path)
    return written


def _check(text: str, origin: str) -> None:
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:  # a lone "{" or "}"
        raise PromptError(f"{origin}: {exc}; write {{{{ and }}}} for literal braces") from None
    for _literal, field, spec, _conversion in fields:
        if field is None:
            continue
        line = text[: text.find("{" + field)].count("\n") + 1 if field else 1
        if field not in PLACEHOLDERS:
            hint = ("use a plain {name}" if any(c in field for c in ".[") or not field
                    else f"known: {', '.join(sorted(PLACEHOLDERS))}")
            raise PromptError(f"{origin}:{line}: unknown placeholder {{{field}}}; {hint}")
        if spec and "{" in spec:
            raise PromptError(f"{origin}:{line}: nested placeholders are not supported")
