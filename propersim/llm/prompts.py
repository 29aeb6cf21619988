"""Versioned prompt templates: ``<package>/prompts/<version>/<name>.txt`` files read as ``string.Template``."""

from __future__ import annotations

from pathlib import Path
from string import Template


def load_template(directory: Path, name: str) -> Template:
    """The template ``directory/name.txt`` (``$name`` placeholders, so JSON braces in it are literal).

    Raises:
        FileNotFoundError: no such template.
    """
    return Template((directory / f"{name}.txt").read_text(encoding="utf-8").rstrip("\n"))
