"""« Quelle solution pour ce jeune ? » : from a young person's profile to a ranked list of schemes and actions,
each with the reasons it fits and what to check (docs/trouver.md).

Two steps, both pure. `criteres(catalogue)` reduces the catalogue to the criteria of each sheet, as plain data:
the guide publishes it as `pour-un-jeune/criteres.json` and `site_config/assets/pour-un-jeune.js` ranks in the
browser with the same rules; the back office and `python -m generator trouver` call `trouver` on it. A table of
cases in `tests/` checks that the two give the same answer.

Hard rules exclude: an age outside the sheet's range (its `age_max_handicap` for a young person with a
disability recognition), a status or a level the sheet does not list, a territory an action does not cover, a
condition the young person does not meet (`reserve_a`), an action that has ended. Soft criteria rank: needs
covered, an action of the young person's territory, criteria the sheet states and meets, freshness. A criterion
the sheet does not state excludes nothing and is reported « critère non renseigné — à vérifier »; one the profile
leaves empty is reported too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from generator.catalogue import Catalogue
from generator.labels import CATEGORIES
from generator.periods import Etat, etat_offre
from generator.places import normalise_name
from generator.schema import Fiche, Offre

# What each flag of a profile means, as a sheet's `reserve_a` names it.
DRAPEAUX = {
    "handicap": "jeunes reconnus handicapés (RQTH ou demande en cours)",
    "ase": "jeunes accompagnés ou anciennement accompagnés par l'Aide sociale à l'enfance (ASE)",
}
# A referral's needs (`besoins` of the form) as the catalogue's thematic categories.
BESOINS_THEMATIQUES = {
    "orientation": ("choisir-un-metier",),
    "formation": ("se-former",),
    "alternance": ("se-former", "trouver-un-emploi"),
    "emploi": ("trouver-un-emploi", "preparer-sa-candidature"),
    "remobilisation": ("remobilisation",),
    "logement": ("logement-hebergement",),
    "sante": ("sante",),
    "mobilite": ("mobilite",),
    "ressources": ("difficultes-financieres",),
    "demarches-administratives": ("difficultes-administratives-ou-juridiques",),
    "famille": ("famille",),
}
FRESH_DAYS = 365
# Points of the soft criteria.
POINTS_BESOIN = 3
POINTS_LOCAL = 2
POINTS_RESERVE = 2
POINTS_CRITERE = 1
# A sheet made for few statuses or a narrow age range, which the young person is in, is the more targeted answer.
POINTS_CIBLE = 2
STATUTS_CIBLES = 3
AGES_CIBLES = 4
POINTS_FRAIS = 1
POINTS_A_VENIR = -2
NON_RENSEIGNE = "critère non renseigné — à vérifier"


def _categories(thematiques: list[str]) -> list[str]:
    return sorted({t.split("--")[0] for t in thematiques})


def _entry(offre: Offre, genre: str, catalogue: Catalogue) -> dict[str, Any]:
    state = etat_offre(offre, catalogue.today)
    is_fiche = isinstance(offre, Fiche)
    periode = offre.periode if isinstance(offre, Fiche) else None
    return {
        "id": offre.id,
        "genre": genre,
        "nom": offre.nom,
        "tri": normalise_name(offre.nom),
        "url": f"{'fiches' if is_fiche else 'dispositifs'}/{offre.id}/",
        "age_min": offre.age_min,
        "age_max": offre.age_max,
        "age_max_handicap": offre.age_max_handicap,
        "statuts": list(offre.statuts),
        "niveaux": list(offre.niveaux),
        "territoires": list(offre.territoires) if is_fiche else [],
        "thematiques": _categories(list(offre.thematiques)),
        "reserve_a": list(offre.reserve_a),
        "etat": str(state),
        "debut": periode.debut.isoformat() if periode is not None and periode.debut else None,
        "date_maj": offre.date_maj.isoformat(),
        "exemple": bool(getattr(offre, "exemple", False)),
    }


def criteres(catalogue: Catalogue) -> dict[str, Any]:
    """The criteria of every dispositif and fiche, and the labels the reasons use, as plain data (JSON)."""
    offres = [_entry(d, "dispositif", catalogue) for d in catalogue.dispositifs.values()]
    offres += [_entry(f, "fiche", catalogue) for f in catalogue.fiches.values()]
    return {
        "date": catalogue.today.isoformat(),
        "territoires": {t.id: t.nom for t in catalogue.territoires.values()},
        "statuts": dict(catalogue.choices("statuts")),
        "niveaux": dict(catalogue.choices("niveaux")),
        "thematiques": dict(CATEGORIES),
        "drapeaux": DRAPEAUX,
        "offres": sorted(offres, key=lambda o: (o["tri"], o["id"])),
    }


@dataclass(frozen=True)
class Profil:
    """What is known of the young person (never a name): every field may stay unknown (None, empty)."""

    age: int | None = None
    statut: str | None = None
    niveau: str | None = None
    territoire: str | None = None
    besoins: tuple[str, ...] = ()
    drapeaux: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Resultat:
    """One sheet that fits: its id, kind, name, path in the guide, score, reasons and what to check."""

    id: str
    genre: str
    nom: str
    url: str
    score: int
    raisons: tuple[str, ...]
    a_verifier: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "genre": self.genre,
            "nom": self.nom,
            "url": self.url,
            "score": self.score,
            "raisons": list(self.raisons),
            "a_verifier": list(self.a_verifier),
            # The same lists under the names of the command's documentation, for scripts.
            "reasons": list(self.raisons),
            "warnings": list(self.a_verifier),
        }


def age_depuis(naissance: date, le: date) -> int:
    """Age in whole years on a given day."""
    return le.year - naissance.year - ((le.month, le.day) < (naissance.month, naissance.day))


NO_LIMIT = 99


def _tranche(low: int | None, high: int | None) -> str:
    if high is not None and high >= NO_LIMIT:
        return f"dès {low} ans, sans limite d'âge" if low is not None else "sans limite d'âge"
    if low is not None and high is not None:
        return f"de {low} à {high} ans"
    return f"dès {low} ans" if low is not None else f"jusqu'à {high} ans"


def _days(a: str, b: str) -> int:
    return (date.fromisoformat(b) - date.fromisoformat(a)).days


def evaluer(offre: dict[str, Any], profil: Profil, data: dict[str, Any]) -> Resultat | None:
    """The result for one sheet, or None when a hard rule excludes it."""
    if offre["etat"] == str(Etat.TERMINEE) or offre["exemple"]:
        return None
    raisons: list[str] = []
    verifier: list[str] = []
    score = 0
    handicap = profil.drapeaux.get("handicap") is True
    low, high = offre["age_min"], offre["age_max"]
    if handicap and offre["age_max_handicap"] is not None:
        high = offre["age_max_handicap"] if high is None else max(high, offre["age_max_handicap"])
    if low is None and high is None:
        verifier.append(f"Âge : {NON_RENSEIGNE}")
    elif profil.age is None:
        verifier.append(
            f"Âge du jeune non renseigné : la fiche s'adresse aux jeunes {_tranche(low, high)} — à vérifier"
        )
    elif (low is not None and profil.age < low) or (high is not None and profil.age > high):
        return None
    else:
        score += POINTS_CRITERE
        if low is not None and high is not None and high - low <= AGES_CIBLES:
            score += POINTS_CIBLE
        raisons.append(f"Âge : {profil.age} ans, la fiche s'adresse aux jeunes {_tranche(low, high)}")
    for key, label, nomenclature in (("statuts", "Statut", "statuts"), ("niveaux", "Niveau", "niveaux")):
        value = profil.statut if key == "statuts" else profil.niveau
        listed = offre[key]
        if not listed:
            verifier.append(f"{label} : {NON_RENSEIGNE}")
        elif value is None:
            verifier.append(f"{label} du jeune non renseigné — à vérifier")
        elif value not in listed:
            return None
        else:
            score += POINTS_CRITERE
            if key == "statuts" and len(listed) <= STATUTS_CIBLES:
                score += POINTS_CIBLE
            raisons.append(f"{label} : {data[nomenclature].get(value, value)}, prévu par la fiche")
    territoires = offre["territoires"]
    if offre["genre"] == "dispositif":
        raisons.append("Dispositif national")
    elif not territoires:
        verifier.append(f"Territoire : {NON_RENSEIGNE}")
    elif profil.territoire is None:
        verifier.append("Territoire du jeune non renseigné : l'action est locale — à vérifier")
    elif profil.territoire not in territoires:
        return None
    else:
        score += POINTS_LOCAL
        raisons.append(
            f"Action du territoire : {data['territoires'].get(profil.territoire, profil.territoire)}"
        )
    for flag in offre["reserve_a"]:
        meets = profil.drapeaux.get(flag)
        if meets is False:
            return None
        if meets is None:
            verifier.append(f"Réservé aux {DRAPEAUX.get(flag, flag)} — à vérifier")
        else:
            score += POINTS_RESERVE
            raisons.append(f"Réservé aux {DRAPEAUX.get(flag, flag)} : c'est le cas")
    for besoin in profil.besoins:
        if besoin in offre["thematiques"]:
            score += POINTS_BESOIN
            raisons.append(f"Répond au besoin : {data['thematiques'].get(besoin, besoin)}")
    if offre["etat"] == str(Etat.A_VENIR):
        score += POINTS_A_VENIR
        verifier.append(f"Action à venir (début le {offre['debut']}) — à vérifier")
    if _days(offre["date_maj"], data["date"]) <= FRESH_DAYS:
        score += POINTS_FRAIS
    else:
        verifier.append(f"Fiche vérifiée le {offre['date_maj']}, il y a plus de 12 mois — à vérifier")
    return Resultat(
        offre["id"], offre["genre"], offre["nom"], offre["url"], score, tuple(raisons), tuple(verifier)
    )


def trouver(data: dict[str, Any], profil: Profil) -> list[Resultat]:
    """The sheets that fit `profil`, best first: score, then actions before schemes, then name."""
    found = [r for o in data["offres"] if (r := evaluer(o, profil, data)) is not None]
    order = {o["id"]: o["tri"] for o in data["offres"]}
    return sorted(found, key=lambda r: (-r.score, r.genre != "fiche", order[r.id], r.id))


def profil_depuis(
    params: dict[str, list[str]], data: dict[str, Any], territoire_de: dict[str, str | None]
) -> Profil:
    """The profile of a page URL's criteria (`age`, `statut`, `niveau`, `commune` INSEE code or `territoire`,
    `besoin`…, `handicap`/`ase` = oui|non), as `pour-un-jeune.js` reads them; unknown values are ignored.
    `territoire_de` maps an INSEE code to its territory."""

    def first(name: str) -> str | None:
        values = params.get(name) or []
        return values[0] if values else None

    age = (first("age") or "").strip()
    statut, niveau = first("statut"), first("niveau")
    territoire = first("territoire") or None
    commune = first("commune")
    if not territoire and commune:
        territoire = territoire_de.get(commune)
    flags = {flag: first(flag) == "oui" for flag in data["drapeaux"] if first(flag) in ("oui", "non")}
    besoins = [b for b in dict.fromkeys(params.get("besoin") or []) if b in data["thematiques"]]
    return Profil(
        age=int(age) if age.isdigit() and len(age) <= 2 else None,
        statut=statut if statut in data["statuts"] else None,
        niveau=niveau if niveau in data["niveaux"] else None,
        territoire=territoire if territoire in data["territoires"] else None,
        besoins=tuple(besoins),
        drapeaux=flags,
    )


def decrire(profil: Profil, data: dict[str, Any]) -> str:
    """The profile in one French line: « 17 ans, Apprenti en rupture de contrat, …, besoin : Se former »."""
    parts = [f"{profil.age} ans" if profil.age is not None else "âge non renseigné"]
    if profil.statut:
        parts.append(data["statuts"].get(profil.statut, profil.statut))
    if profil.niveau:
        parts.append(data["niveaux"].get(profil.niveau, profil.niveau))
    parts.append(data["territoires"].get(profil.territoire, "territoire non renseigné"))
    parts += [f"besoin : {data['thematiques'].get(b, b)}" for b in profil.besoins]
    return ", ".join(parts)
