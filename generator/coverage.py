"""« Où sont les manques ? »: current local actions counted by territory and thématique."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from generator import labels
from generator.periods import Etat, etat_offre
from generator.schema import Fiche, Territoire

# The thématiques shown as columns of the coverage page: the needs the plan's CTLs meet most.
COUVERTURE = (
    "choisir-un-metier",
    "se-former",
    "trouver-un-emploi",
    "preparer-sa-candidature",
    "remobilisation",
    "logement-hebergement",
    "mobilite",
    "sante",
    "difficultes-financieres",
    "famille",
)


def coverage(fiches: Iterable[Fiche], territoires: Iterable[Territoire], today: date) -> dict[str, Any]:
    """The matrix of the coverage page on `today`: only current actions count (not ended or planned ones,
    nor illustrative sheets); also how many real actions were left out, by state."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    left_out: Counter[Etat] = Counter()
    for fiche in fiches:
        if fiche.exemple:
            continue
        state = etat_offre(fiche, today)
        if state is not Etat.EN_COURS:
            left_out[state] += 1
            continue
        for territoire_id in fiche.territoires:
            totals[territoire_id] += 1
            for categorie in {labels.categorie(t) for t in fiche.thematiques}:
                counts[(territoire_id, categorie)] += 1
    rows: list[dict[str, Any]] = [
        {
            "id": t.id,
            "label": t.nom,
            "counts": [counts[(t.id, c)] for c in COUVERTURE],
            "total": totals[t.id],
        }
        for t in territoires
    ]
    return {
        "categories": [{"id": c, "label": labels.CATEGORIES[c]} for c in COUVERTURE],
        "rows": rows,
        "manques": sum(1 for row in rows for n in row["counts"] if n == 0),
        "cases": len(rows) * len(COUVERTURE),
        "terminees": left_out[Etat.TERMINEE],
        "a_venir": left_out[Etat.A_VENIR],
    }
