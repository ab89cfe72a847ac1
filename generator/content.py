"""Editorial pages of `content/`: front matter parsing and checks."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from generator.checks import validation_problems
from generator.errors import Problem
from generator.fields import PastDate
from generator.loader import parse_text
from generator.schema import Model


class PageMeta(Model):
    """Front matter of an editorial page."""

    title: Annotated[str, Field(min_length=3, description="Titre de la page")]
    description: Annotated[str | None, Field(description="Résumé (balise description)")] = None
    date_maj: Annotated[PastDate, Field(description="Date de dernière mise à jour")]
    hide: Annotated[list[str], Field(description="Éléments masqués (navigation, toc)")] = []
    imprimable: Annotated[bool, Field(description="Modèle à imprimer (mise en page papier)")] = False


def split_front_matter(text: str) -> tuple[str | None, str]:
    """(front matter text or None, body) of a Markdown page."""
    if not text.startswith("---\n"):
        return None, text
    end = text.find("\n---\n", 4)
    if end == -1:
        return None, text
    return text[4 : end + 1], text[end + 5 :]


def check_pages(content_dir: Path, today: date, context: dict[str, Any]) -> list[Problem]:
    """Every problem of the editorial pages: front matter syntax, required title and date_maj."""
    problems: list[Problem] = []
    if not content_dir.is_dir():
        return [Problem(os.path.relpath(content_dir), 1, 1, "dossier de contenu introuvable")]
    for path in sorted(content_dir.rglob("*.md")):
        shown = os.path.relpath(path)
        front, _ = split_front_matter(path.read_text(encoding="utf-8"))
        if front is None:
            problems.append(
                Problem(shown, 1, 1, "en-tête manquant : commencez la page par ---, title:, date_maj:, ---")
            )
            continue
        doc = parse_text(front, shown, problems)
        if doc is None:
            continue
        # The front matter starts on line 2 of the file.
        doc.values = {k: (line + 1, col) for k, (line, col) in doc.values.items()}
        doc.keys = {k: (line + 1, col) for k, (line, col) in doc.keys.items()}
        try:
            PageMeta.model_validate(doc.data, context=context)
        except ValidationError as exc:
            problems.extend(validation_problems(doc, exc, PageMeta))
    return problems
