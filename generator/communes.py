"""Extraction, at development time, of the communes referential committed under `data/`.

Source: the npm package `@etalab/decoupage-administratif` (Etalab, MIT), unpacked by hand
(`npm pack @etalab/decoupage-administratif@6.0.0`, then `tar xzf`). Nothing is downloaded here: the command
reads the unpacked folder and writes one compact, deterministic JSON file, which is committed. The lookup
functions over that file are in `generator/places.py`.

Layout of the written file (rows are arrays, their columns named once under `colonnes`):
`communes`: [insee, nom, [codes postaux], département, arrondissement, SIREN de l'EPCI, population];
`epci`: [SIREN, nom, type]; `arrondissements`: [code, nom];
`anciennes`: [insee, nom, type, insee de la commune actuelle] for communes déléguées and associées.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from generator.errors import ReferentialError

PACKAGE_NAME = "@etalab/decoupage-administratif"
PACKAGE_URL = "https://www.npmjs.com/package/@etalab/decoupage-administratif"
DEFAULT_OUT = Path("data/communes.json")
FORMAT_VERSION = 1
COLUMNS: dict[str, list[str]] = {
    "communes": [
        "insee",
        "nom",
        "codes_postaux",
        "departement",
        "arrondissement",
        "epci",
        "population",
    ],
    "epci": ["siren", "nom", "type"],
    "arrondissements": ["code", "nom"],
    "anciennes": ["insee", "nom", "type", "commune_actuelle"],
}
CURRENT = "commune-actuelle"
OLD_TYPES = {"commune-deleguee": "deleguee", "commune-associee": "associee"}
_DEPARTEMENT = re.compile(r"^(\d{2}|2[AB]|97\d)$")


def parse_departements(text: str) -> list[str]:
    """`"62, 59"` → `["59", "62"]`; raises `ReferentialError` on a code that is not a département."""
    codes = sorted({part.strip().upper() for part in text.split(",") if part.strip()})
    bad = [code for code in codes if not _DEPARTEMENT.match(code)]
    if not codes or bad:
        raise ReferentialError(f"départements invalides : {text!r} (attendu par exemple 59,62)")
    return codes


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReferentialError(f"lecture impossible de {path} : {exc}") from exc


def extract(package_dir: Path, departements: Sequence[str], date: datetime.date) -> dict[str, Any]:
    """Build the referential of `departements` from the unpacked package folder `package_dir`."""
    meta = _read_json(package_dir / "package.json")
    if meta.get("name") != PACKAGE_NAME:
        raise ReferentialError(f"{package_dir}/package.json ne décrit pas {PACKAGE_NAME}")
    covered = set(departements)
    raw_communes = _read_json(package_dir / "data" / "communes.json")
    raw_epci = _read_json(package_dir / "data" / "epci.json")
    raw_arrondissements = _read_json(package_dir / "data" / "arrondissements.json")

    current = {c["code"]: c for c in raw_communes if c["type"] == CURRENT and c.get("departement") in covered}
    missing = covered - {c["departement"] for c in current.values()}
    if missing:
        raise ReferentialError(f"aucune commune pour le(s) département(s) {', '.join(sorted(missing))}")

    epci_of: dict[str, str] = {}
    epci_rows: list[list[Any]] = []
    for epci in raw_epci:
        members = [m["code"] for m in epci["membres"] if m["code"] in current]
        if not members:
            continue
        epci_rows.append([epci["code"], epci["nom"], epci["type"]])
        for code in members:
            if code in epci_of:
                raise ReferentialError(f"la commune {code} appartient à deux EPCI")
            epci_of[code] = epci["code"]

    commune_rows = [
        [
            code,
            c["nom"],
            sorted(c.get("codesPostaux", [])),
            c["departement"],
            c.get("arrondissement"),
            epci_of.get(code),
            c.get("population"),
        ]
        for code, c in sorted(current.items())
    ]
    used_arrondissements = {c.get("arrondissement") for c in current.values()}
    arrondissement_rows = sorted(
        [a["code"], a["nom"]] for a in raw_arrondissements if a["code"] in used_arrondissements
    )
    old_rows = sorted(
        [c["code"], c["nom"], OLD_TYPES[c["type"]], c["chefLieu"]]
        for c in raw_communes
        if c["type"] in OLD_TYPES and c.get("departement") in covered and c.get("chefLieu") in current
    )
    return {
        "format": FORMAT_VERSION,
        "source": {
            "paquet": PACKAGE_NAME,
            "version": meta.get("version"),
            "licence": meta.get("license"),
            "auteur": "Etalab",
            "url": PACKAGE_URL,
        },
        "extrait_le": date.isoformat(),
        "departements": sorted(covered),
        "colonnes": COLUMNS,
        "arrondissements": arrondissement_rows,
        "epci": sorted(epci_rows),
        "communes": commune_rows,
        "anciennes": old_rows,
    }


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _rows(rows: Iterable[Any]) -> str:
    return "[\n" + ",\n".join(_dump(row) for row in rows) + "\n]"


def serialise(referential: dict[str, Any]) -> str:
    """Compact JSON, one row per line so that a new version of the package gives a readable diff."""
    parts = [
        f"{_dump(key)}:{_rows(value) if key in COLUMNS else _dump(value)}"
        for key, value in referential.items()
    ]
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write_referential(
    package_dir: Path, departements: Sequence[str], out: Path, date: datetime.date | None = None
) -> dict[str, Any]:
    """Extract and write the referential to `out`; returns what was written."""
    referential = extract(package_dir, departements, date or datetime.date.today())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(serialise(referential), encoding="utf-8", newline="\n")
    return referential
