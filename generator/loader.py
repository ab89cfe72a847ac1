"""Parse YAML keeping the line and column of every key and value, so problems can be located."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.errors import Problem

# libyaml's loader when present: about ten times faster on thousands of files.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Loc = tuple[str | int, ...]

# libyaml's messages, in French for the people who edit content.
_YAML_MESSAGES = {
    "did not find expected ',' or ']'": "« , » ou « ] » attendu : une liste entre crochets n'est pas fermée",
    "did not find expected ',' or '}'": "« , » ou « } » attendu : un ensemble entre accolades n'est pas fermé",
    "mapping values are not allowed here": "deux-points inattendu : mettez la valeur entre guillemets",
    "mapping values are not allowed in this context": "deux-points inattendu : mettez la valeur entre guillemets",
    "could not find expected ':'": "« : » attendu après la clé",
    "did not find expected key": "clé attendue à cet endroit : l'indentation est incohérente",
    "did not find expected '-' indicator": "« - » attendu : les éléments de la liste sont mal alignés",
    "found character '\\t' that cannot start any token": "tabulation interdite : indentez avec des espaces",
    "found unexpected end of stream": "fin de fichier inattendue : un guillemet n'est pas fermé",
    "found unknown escape character": "caractère d'échappement inconnu entre guillemets",
}


@dataclass
class Document:
    """A parsed YAML file: its data and where each value (and each mapping key) sits, 1-based."""

    path: str
    data: Any
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: Loc, key: bool = False) -> tuple[int, int]:
        """Position of the value (or key) at `loc`, else of its nearest located parent."""
        table = self.keys if key else self.values
        for end in range(len(loc), -1, -1):
            part = loc[:end]
            if part in table:
                return table[part]
            if part in self.values:
                return self.values[part]
        return (1, 1)


class _Builder:
    def __init__(self, doc: Document, problems: list[Problem]) -> None:
        self.doc = doc
        self.problems = problems
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.doc.values[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node)
                key_loc = (*loc, key)
                if key in result:
                    line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                    self.problems.append(
                        Problem(
                            self.doc.path,
                            line,
                            col,
                            f"clé « {key} » en double : chaque clé ne peut apparaître qu'une fois",
                        )
                    )
                self.doc.keys[key_loc] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                result[key] = self.build(value_node, key_loc)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return str(node.value)
        try:
            return self.constructor.construct_object(node)
        except (ValueError, yaml.YAMLError):
            # An impossible date such as 2026-13-01: keep the text so the model reports it clearly.
            return str(node.value)


def parse_text(text: str, path: str, problems: list[Problem]) -> Document | None:
    """Parse one YAML text; on a syntax error append a located problem and return None."""
    doc = Document(path, None)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = _YAML_MESSAGES.get(exc.problem or "", f"syntaxe invalide ({exc.problem})")
        problems.append(Problem(path, line, col, f"YAML invalide : {what}"))
        return None
    if node is None:
        problems.append(Problem(path, 1, 1, "fichier vide : attendu un document YAML avec des clés"))
        return None
    doc.data = _Builder(doc, problems).build(node, ())
    return doc


def parse_file(path: Path, shown: str, problems: list[Problem]) -> Document | None:
    """Read and parse one YAML file; `shown` is the path printed in problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(shown, 1, 1, f"encodage invalide ({exc.reason}) : enregistrez le fichier en UTF-8")
        )
        return None
    return parse_text(text, shown, problems)


# Past this many files, half of them are parsed in a forked process (an import of thousands of services).
PARALLEL_FROM = 400


def _parse_slice(items: list[tuple[Path, str]]) -> list[tuple[Document | None, list[Problem]]]:
    answers = []
    for path, shown in items:
        problems: list[Problem] = []
        answers.append((parse_file(path, shown, problems), problems))
    return answers


def parse_files(items: list[tuple[Path, str]]) -> list[tuple[Document | None, list[Problem]]]:
    """`parse_file` for each (path, shown) pair, in order, with the problems of each; on two cores, a forked
    process parses the second half of a long list meanwhile."""
    if len(items) < PARALLEL_FROM:
        return _parse_slice(items)
    half = len(items) // 2
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        second = pool.submit(_parse_slice, items[half:])
        first = _parse_slice(items[:half])
        return first + second.result()
