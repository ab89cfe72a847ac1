"""The two public forms, field by field, with every list taken from the guide's catalogue (`data/`)."""

from __future__ import annotations

from forms_backend.web.communes import commune_rule
from forms_backend.web.forms import (
    AGE_ORIENTATION,
    AGE_RUPTURE,
    RUPTURE_LEVELS,
    Champ,
    Formulaire,
    Section,
    birth_date_rule,
    contact_rule,
    contract_dates_rule,
    guardian_rule,
    informed_rule,
    siret_rule,
    uai_rule,
)
from generator.catalogue import Catalogue


def _identity(catalogue: Catalogue, hint_birth: str) -> Section:
    return Section(
        "Le jeune",
        (
            Champ("nom", "Nom", autocomplete="off"),
            Champ("prenom", "Prénom", autocomplete="off"),
            Champ("date_naissance", "Date de naissance", kind="date", max_length=10, hint=hint_birth),
            Champ("sexe", "Sexe", kind="radio", required=False, choices=tuple(catalogue.choices("sexes"))),
            Champ(
                "code_postal",
                "Code postal de résidence",
                kind="postal",
                max_length=5,
                hint="5 chiffres, par exemple 62300.",
                inputmode="numeric",
            ),
            Champ(
                "commune",
                "Commune de résidence",
                kind="commune",
                hint=(
                    "Tapez les premières lettres puis choisissez dans la liste. Hors du Nord et du "
                    "Pas-de-Calais, écrivez le nom de la commune en entier."
                ),
            ),
            Champ("commune_insee", "Code INSEE de la commune", kind="hidden", required=False, max_length=5),
        ),
    )


def _contact_section() -> Section:
    return Section(
        "Pour contacter le jeune",
        (
            Champ(
                "telephone",
                "Téléphone",
                kind="tel",
                required=False,
                max_length=30,
                hint="Par exemple 06 12 34 56 78.",
            ),
            Champ("courriel", "Adresse électronique", kind="email", required=False, max_length=254),
        ),
        hint="Au moins un des deux.",
    )


def _territoire(catalogue: Catalogue) -> Champ:
    territoires = tuple((t.id, t.nom) for t in catalogue.territoires.values())
    if catalogue.places is None:
        return Champ(
            "territoire",
            "Territoire de la cellule technique locale (CTL)",
            kind="select",
            choices=territoires,
            hint="Le bassin d'emploi où vit le jeune ; « Reste de la région » s'il n'est dans aucun.",
        )
    return Champ(
        "territoire",
        "Territoire de la cellule technique locale (CTL)",
        kind="select",
        required=False,
        choices=territoires,
        empty_label="Déterminer d'après la commune",
        hint=(
            "Laissez « Déterminer d'après la commune » : la situation va à la CTL du territoire de la commune "
            "du jeune. Choisissez un autre territoire seulement si une autre CTL doit la suivre (celle du CFA, "
            "par exemple) ou si le jeune habite hors du Nord et du Pas-de-Calais."
        ),
    )


def rupture_form(catalogue: Catalogue) -> Formulaire:
    """The CFA's report of a broken apprenticeship contract."""
    niveaux = tuple((i, label) for i, label in catalogue.choices("niveaux") if i in RUPTURE_LEVELS)
    return Formulaire(
        source="rupture",
        title="Signaler une rupture de contrat d'apprentissage",
        intro=(
            "Pour les CFA : signalez à la cellule technique locale (CTL) un apprenti dont le contrat "
            "vient d'être rompu, pour qu'aucun jeune ne reste sans solution."
        ),
        sections=(
            _identity(catalogue, "Le jeune doit avoir entre 15 et 35 ans à la date de rupture."),
            _contact_section(),
            Section(
                "Suivi actuel",
                (
                    Champ(
                        "suivi_structure",
                        "Le jeune est-il suivi par une structure ?",
                        kind="radio",
                        choices=tuple(catalogue.choices("suivi_structures")),
                    ),
                ),
            ),
            Section(
                "La formation",
                (
                    Champ("cfa_nom", "Nom du CFA", autocomplete="organization"),
                    Champ(
                        "cfa_uai",
                        "Numéro UAI du CFA",
                        required=False,
                        max_length=8,
                        hint="Facultatif : 7 chiffres et une lettre, par exemple 0596789X.",
                    ),
                    Champ(
                        "diplome_prepare",
                        "Diplôme préparé",
                        max_length=200,
                        hint="Par exemple « CAP Cuisine ».",
                    ),
                    Champ("niveau", "Niveau du diplôme préparé", kind="select", choices=niveaux),
                    Champ("secteur", "Secteur", kind="select", choices=tuple(catalogue.choices("secteurs"))),
                ),
            ),
            Section(
                "Le contrat et sa rupture",
                (
                    Champ("entreprise_nom", "Nom de l'entreprise", max_length=200),
                    Champ(
                        "entreprise_siret",
                        "SIRET de l'entreprise",
                        required=False,
                        max_length=20,
                        hint="Facultatif : 14 chiffres.",
                        inputmode="numeric",
                    ),
                    Champ("date_debut_contrat", "Début du contrat", kind="date", max_length=10),
                    Champ("date_fin_prevue", "Fin prévue du contrat", kind="date", max_length=10),
                    Champ("date_rupture", "Date de la rupture", kind="date", max_length=10),
                    Champ(
                        "cadre_rupture",
                        "Cadre de la rupture",
                        kind="select",
                        choices=tuple(catalogue.choices("cadres_rupture")),
                        hint="Code du travail, articles L.6222-18 et L.6222-19.",
                    ),
                    Champ(
                        "motifs",
                        "Motifs de la rupture",
                        kind="checkboxes",
                        choices=tuple(catalogue.choices("motifs_rupture")),
                        hint="Cochez tous ceux qui s'appliquent.",
                    ),
                    Champ(
                        "motif_precision",
                        "Précisions sur les motifs",
                        kind="textarea",
                        required=False,
                        max_length=1000,
                        hint=(
                            "Facultatif, 1 000 caractères au maximum. "
                            "N'écrivez aucun détail de santé ni de justice."
                        ),
                    ),
                    Champ(
                        "situation_actuelle",
                        "Situation actuelle du jeune",
                        kind="select",
                        choices=tuple(catalogue.choices("situations_actuelles")),
                    ),
                    _territoire(catalogue),
                ),
            ),
            Section(
                "Vous, la personne qui signale",
                (
                    Champ("declarant_nom", "Votre nom", autocomplete="name"),
                    Champ(
                        "declarant_fonction",
                        "Votre fonction",
                        required=False,
                        autocomplete="organization-title",
                    ),
                    Champ(
                        "declarant_courriel",
                        "Votre adresse électronique",
                        kind="email",
                        max_length=254,
                        autocomplete="email",
                    ),
                    Champ(
                        "declarant_telephone",
                        "Votre téléphone",
                        kind="tel",
                        required=False,
                        max_length=30,
                        autocomplete="tel",
                    ),
                ),
            ),
            Section(
                "Information du jeune",
                (
                    Champ(
                        "jeune_informe", "Le jeune a été informé de ce signalement à la CTL.", kind="checkbox"
                    ),
                ),
            ),
        ),
        rules=(
            commune_rule(catalogue),
            contact_rule,
            uai_rule,
            siret_rule,
            contract_dates_rule,
            birth_date_rule(15, 35, AGE_RUPTURE, "date_rupture"),
            informed_rule("de ce signalement"),
        ),
    )


def orientation_form(catalogue: Catalogue) -> Formulaire:
    """A partner's referral of a young person to the CTL."""
    return Formulaire(
        source="orientation",
        title="Orienter un jeune vers la cellule technique locale",
        intro=(
            "Pour les partenaires (établissements, Mission locale, CIO, centres sociaux, clubs de "
            "prévention…) : présentez à la CTL de son territoire un jeune sans solution ou en train "
            "de décrocher."
        ),
        sections=(
            _identity(catalogue, "Le jeune doit avoir entre 13 et 30 ans."),
            _contact_section(),
            Section(
                "Sa situation",
                (
                    Champ(
                        "statut",
                        "Statut du jeune",
                        kind="select",
                        choices=tuple(catalogue.choices("statuts")),
                    ),
                    Champ(
                        "niveau",
                        "Niveau de formation atteint",
                        kind="select",
                        choices=tuple(catalogue.choices("niveaux")),
                    ),
                    Champ(
                        "dernier_etablissement",
                        "Dernier établissement fréquenté",
                        required=False,
                        max_length=200,
                    ),
                    Champ(
                        "suivi_structure",
                        "Le jeune est-il suivi par une structure ?",
                        kind="radio",
                        choices=tuple(catalogue.choices("suivi_structures")),
                    ),
                    Champ(
                        "besoins",
                        "Besoins repérés",
                        kind="checkboxes",
                        choices=tuple(catalogue.choices("besoins")),
                        hint="Cochez tous ceux qui s'appliquent.",
                    ),
                    Champ(
                        "situation",
                        "Présentation de la situation",
                        kind="textarea",
                        max_length=2000,
                        hint=(
                            "2 000 caractères au maximum. Décrivez le parcours et ce que le jeune souhaite. "
                            "N'écrivez jamais de détail de santé ni de justice : la CTL n'en a pas besoin."
                        ),
                    ),
                    _territoire(catalogue),
                ),
            ),
            Section(
                "Vous, la personne qui oriente",
                (
                    Champ(
                        "orienteur_structure", "Votre structure", max_length=200, autocomplete="organization"
                    ),
                    Champ(
                        "orienteur_type",
                        "Type de structure",
                        kind="select",
                        choices=tuple(catalogue.choices("orienteurs")),
                    ),
                    Champ("orienteur_nom", "Votre nom", autocomplete="name"),
                    Champ(
                        "orienteur_courriel",
                        "Votre adresse électronique",
                        kind="email",
                        max_length=254,
                        autocomplete="email",
                    ),
                    Champ(
                        "orienteur_telephone",
                        "Votre téléphone",
                        kind="tel",
                        required=False,
                        max_length=30,
                        autocomplete="tel",
                    ),
                ),
            ),
            Section(
                "Information et accord",
                (
                    Champ(
                        "jeune_informe",
                        "Le jeune a été informé de cette orientation vers la CTL.",
                        kind="checkbox",
                    ),
                    Champ(
                        "accord_representant_legal",
                        "Le jeune a moins de 18 ans : son représentant légal a donné son accord.",
                        kind="checkbox",
                        required=False,
                        hint="Obligatoire pour un jeune mineur.",
                    ),
                ),
            ),
        ),
        rules=(
            commune_rule(catalogue),
            contact_rule,
            birth_date_rule(13, 30, AGE_ORIENTATION, None),
            informed_rule("de cette orientation vers la CTL"),
            guardian_rule,
        ),
    )


def build_forms(catalogue: Catalogue) -> dict[str, Formulaire]:
    """Both forms, keyed by source, with every list taken from the catalogue."""
    return {"rupture": rupture_form(catalogue), "orientation": orientation_form(catalogue)}
