"""The shared French synonym list of the guide's search (`data/synonymes.yaml`), applied at index time.

Partners type their own words, not the sheet's: each group of the list names equivalent `termes` (an
abbreviation and its expansion, an ordinal written three ways) and, optionally, the `mots_courants` people type
for them. When a page contains one of a group's terms, every term and everyday word of the group is indexed
with it, so "deuxième chance" finds the page that says "2e chance". An everyday word found on a page brings
nothing: "argent" on a page does not make it a page about financial aid.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Annotated

from pydantic import Field

from generator.checks import problem_at, show_loc
from generator.errors import Problem
from generator.fields import PastDate, as_list
from generator.loader import Document
from generator.schema import Model

Terme = Annotated[str, Field(min_length=1, max_length=80)]


class Groupe(Model):
    """Words that must find the same pages."""

    termes: Annotated[
        list[Terme],
        as_list(),
        Field(min_length=1, description="Termes équivalents : sigle, nom complet, autres graphies"),
    ]
    mots_courants: Annotated[
        list[Terme],
        as_list(),
        Field(description="Mots des usagers ajoutés aux pages qui contiennent un des termes"),
    ] = []


class SynonymesFile(Model):
    """data/synonymes.yaml: the synonym list of the search, shared by every page."""

    date_maj: Annotated[PastDate, Field(description="Date de dernière vérification")]
    groupes: Annotated[list[Groupe], Field(min_length=1, description="Les groupes de synonymes")]


_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
_ACCENTS = re.compile(r"[\u0300-\u036f]")
_SEPARATORS = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: how terms are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return _SEPARATORS.sub(" ", _ACCENTS.sub("", decomposed)).strip()


def _words(text: str) -> list[str]:
    """The normalized words of `text`, without a plural ending (-s, -x), so that plurals match."""
    return [w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in normalize(text).split()]


def check_groups(doc: Document, parsed: SynonymesFile) -> list[Problem]:
    """Terms without a letter or digit, and terms listed twice, in one group or in two (compared as `expand`
    compares them: without case, accents nor plural ending)."""
    problems = []
    seen: dict[str, tuple[str | int, ...]] = {}
    for i, groupe in enumerate(parsed.groupes):
        for key in ("termes", "mots_courants"):
            for j, term in enumerate(getattr(groupe, key)):
                loc: tuple[str | int, ...] = ("groupes", i, key, j)
                norm = " ".join(_words(term))
                if not norm:
                    message = f"« {show_loc(loc)} » : « {term} » ne contient ni lettre ni chiffre"
                    problems.append(problem_at(doc, loc, message))
                elif norm in seen:
                    first = seen[norm]
                    line, col = doc.where(first)
                    message = (
                        f"« {show_loc(loc)} » : « {term} » figure déjà en « {show_loc(first)} » "
                        f"(ligne {line}, colonne {col}) ; un mot n'appartient qu'à un groupe : "
                        "fusionnez les deux groupes ou retirez ce doublon"
                    )
                    problems.append(problem_at(doc, loc, message))
                else:
                    seen[norm] = loc
    return problems


class Synonyms:
    """The synonym list, compiled once; `expand` gives the words to index beside a page's text."""

    def __init__(self, groupes: Iterable[Groupe]) -> None:
        self.groups: list[tuple[str, ...]] = []
        # Each term's words, filed under its first word, with its group's number: one pass over a page.
        self.starts: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for groupe in groupes:
            number = len(self.groups)
            self.groups.append(tuple(dict.fromkeys([*groupe.termes, *groupe.mots_courants])))
            for terme in groupe.termes:
                if words := tuple(_words(terme)):
                    self.starts.setdefault(words[0], []).append((words, number))

    @classmethod
    def of(cls, parsed: SynonymesFile | None) -> Synonyms:
        """The compiled list of a synonym file (empty without one)."""
        return cls(parsed.groupes if parsed else [])

    def expand(self, text: str) -> list[str]:
        """The terms and everyday words of every group one of whose terms `text` contains, in list order."""
        tokens = _words(text)
        found: set[int] = set()
        for i, token in enumerate(tokens):
            for words, number in self.starts.get(token, ()):
                if tuple(tokens[i : i + len(words)]) == words:
                    found.add(number)
        expanded: list[str] = []
        for number in sorted(found):
            expanded.extend(w for w in self.groups[number] if w not in expanded)
        return expanded
