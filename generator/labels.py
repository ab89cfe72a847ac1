"""French labels of the data·inclusion vocabularies used by the guide (the enums carry only sub-themes)."""

from __future__ import annotations

from data_inclusion.schema import v1 as di

CATEGORIES = {
    "choisir-un-metier": "Choisir un métier",
    "creer-une-entreprise": "Créer une entreprise",
    "difficultes-administratives-ou-juridiques": "Difficultés administratives ou juridiques",
    "difficultes-financieres": "Difficultés financières",
    "equipement-et-alimentation": "Équipement et alimentation",
    "famille": "Famille",
    "lecture-ecriture-calcul": "Lecture, écriture, calcul",
    "logement-hebergement": "Logement, hébergement",
    "mobilite": "Mobilité",
    "numerique": "Numérique",
    "preparer-sa-candidature": "Préparer sa candidature",
    "remobilisation": "Remobilisation",
    "sante": "Santé",
    "se-former": "Se former",
    "souvrir-a-linternational": "S'ouvrir à l'international",
    "trouver-un-emploi": "Trouver un emploi",
}
SOUS_THEMATIQUES = {t.value: t.label for t in di.Thematique}
PUBLICS = {p.value: p.label for p in di.Public}
TYPES = {t.value: t.label for t in di.TypeService}
MODES_MOBILISATION = {m.value: m.label for m in di.ModeMobilisation}
MOBILISATEURS = {m.value: m.label for m in di.PersonneMobilisatrice}
FRAIS = {f.value: f.label for f in di.Frais}
TYPES_TERRITOIRE = {
    "experimental": "Territoire expérimental",
    "associe": "Territoire associé",
    "hors-experimentation": "Hors expérimentation",
}


def categorie(thematique: str) -> str:
    """The data·inclusion category of a thématique (a category is its own category)."""
    return thematique.split("--")[0]


def thematique_label(thematique: str) -> str:
    """Label of a category or of a sub-theme."""
    if "--" in thematique:
        return f"{CATEGORIES[categorie(thematique)]} — {SOUS_THEMATIQUES[thematique]}"
    return CATEGORIES.get(thematique, thematique)
