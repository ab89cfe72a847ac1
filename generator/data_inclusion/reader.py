"""Stream the records of a feed file, as a deployer downloads it: a JSON array or JSON Lines, in UTF-8.

The file is never loaded whole: an array is parsed incrementally (ijson, C backend), JSON Lines line by line.
CSV is not read: the schema's lists (thématiques, publics, zone_eligibilite) have no agreed separator there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from generator.data_inclusion.errors import FeedError

_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"


def _first_byte(handle: BinaryIO) -> bytes:
    """Skip a byte-order mark and leading whitespace; return the first meaningful byte (not consumed)."""
    start = handle.read(3)
    if start != _BOM:
        handle.seek(0)
    while True:
        position = handle.tell()
        byte = handle.read(1)
        if byte not in _WHITESPACE or byte == b"":
            handle.seek(position)
            return byte


def _array(handle: BinaryIO, shown: str) -> Iterator[Any]:
    try:
        yield from ijson.items(handle, "item", use_float=True)
    except ijson.JSONError as exc:
        # yajl's message is bytes shown as text, several lines long: its first line says enough.
        detail = re.split(r"\\n|\n", str(exc).removeprefix("b'"))[0].strip().rstrip(".")
        if "UTF8" in detail:
            raise FeedError(f"{shown} : encodage invalide ({detail}) ; attendu un fichier UTF-8") from exc
        raise FeedError(
            f"{shown} : JSON invalide ou tronqué ({detail}) ; téléchargez à nouveau le fichier"
        ) from exc
    except UnicodeDecodeError as exc:
        raise FeedError(f"{shown} : encodage invalide ({exc.reason}) ; attendu un fichier UTF-8") from exc


def _lines(handle: BinaryIO, shown: str) -> Iterator[Any]:
    for number, raw in enumerate(handle, start=1):
        if not raw.strip():
            continue
        try:
            yield json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise FeedError(
                f"{shown}, ligne {number} : encodage invalide ; attendu un fichier UTF-8"
            ) from exc
        except json.JSONDecodeError as exc:
            raise FeedError(
                f"{shown}, ligne {number} : JSON invalide ({exc.msg}, colonne {exc.colno}) ; "
                "attendu un objet JSON par ligne"
            ) from exc


def read_records(path: Path) -> Iterator[Any]:
    """Every record of the feed file at `path`, in file order; raises FeedError when it cannot be read."""
    shown = str(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise FeedError(f"{shown} : lecture impossible ({exc.strerror or exc})") from exc
    with handle:
        first = _first_byte(handle)
        if first == b"[":
            yield from _array(handle, shown)
        elif first == b"{":
            yield from _lines(handle, shown)
        elif first == b"":
            raise FeedError(f"{shown} : fichier vide ; attendu un tableau JSON ou des lignes JSON")
        else:
            raise FeedError(
                f"{shown} : format non reconnu ; attendu un tableau JSON (« [ … ] ») ou des lignes JSON "
                "(un objet « { … } » par ligne), en UTF-8 — le CSV n'est pas lu"
            )
