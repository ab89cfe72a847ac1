"""The content model, declared once: loader, JSON Schemas, field reference and exports derive from it.

Field names follow the data·inclusion schema v1 where a field exists there; drop-out specific fields sit beside.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal, Self

from data_inclusion.schema import v1 as di
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from generator.fields import Email, PastDate, Phone, Slug, Url, as_list, choice, nomenclature

THEMATIQUES_DI = tuple(t.value for t in di.Thematique)
CATEGORIES = tuple(dict.fromkeys(t.split("--")[0] for t in THEMATIQUES_DI))

if TYPE_CHECKING:  # mypy sees plain strings; pydantic sees the validated, documented choices.
    Thematique = str
    TypeService = str
    Public = str
    Frais = str
    ModeAccueil = str
    ModeMobilisation = str
    Mobilisateur = str
    Volet = str
    FamilleSolution = str
    Statut = str
    Niveau = str
    Prescripteur = str
else:
    Thematique = choice(
        CATEGORIES + THEMATIQUES_DI, "Thématique data·inclusion : catégorie ou sous-thématique"
    )
    TypeService = choice((t.value for t in di.TypeService), "Type de service data·inclusion")
    Public = choice((p.value for p in di.Public), "Public data·inclusion")
    Frais = choice((f.value for f in di.Frais), "Gratuit ou payant")
    ModeAccueil = choice((m.value for m in di.ModeAccueil), "Mode d'accueil")
    ModeMobilisation = choice((m.value for m in di.ModeMobilisation), "Mode de mobilisation")
    Mobilisateur = choice((m.value for m in di.PersonneMobilisatrice), "Qui peut mobiliser le service")
    Volet = nomenclature("volets", "Volet du plan : prévention ou réparation")
    FamilleSolution = nomenclature("familles_solution", "Famille de solution")
    Statut = nomenclature("statuts", "Statut du jeune")
    Niveau = nomenclature("niveaux", "Niveau de formation (nomenclature 2019)")
    Prescripteur = nomenclature("orienteurs", "Structure qui prescrit ou oriente")

ZoneCode = Annotated[str, Field(pattern=r"^(france|\d{2}|2A|2B|97\d|\d{5}|\d{9})$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Source(Model):
    """A public source backing the facts of a sheet."""

    titre: Annotated[
        str, Field(min_length=3, description="Intitulé de la source (texte de loi, page officielle)")
    ]
    url: Annotated[Url, Field(description="Adresse de la source")]


class Reference(Model):
    """A document backing the facts of an item, cited by its title; its address only when it is known."""

    titre: Annotated[
        str, Field(min_length=3, description="Intitulé du document et de la partie citée (ex. annexe 3)")
    ]
    url: Annotated[Url | None, Field(description="Adresse du document, s'il est en ligne")] = None


class Beneficiaires(Model):
    """Expected number of young people reached."""

    min: Annotated[int, Field(ge=0, description="Nombre minimal de bénéficiaires")]
    max: Annotated[int | None, Field(ge=0, description="Nombre maximal de bénéficiaires")] = None


class Periode(Model):
    """When a local action runs; its state (en cours, terminée, à venir) derives from these dates."""

    debut: Annotated[date | None, Field(description="Premier jour de l'action (AAAA-MM-JJ)")] = None
    fin: Annotated[
        date | None, Field(description="Dernier jour de l'action (AAAA-MM-JJ) ; vide si elle continue")
    ] = None
    plan_partaj: Annotated[
        bool, Field(description="true pour une action menée dans le cadre du plan PARTAJ (2010–2011)")
    ] = False

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.debut is None and self.fin is None:
            raise PydanticCustomError("periode", "attendu « debut », « fin » ou les deux (AAAA-MM-JJ)")
        if self.debut and self.fin and self.debut > self.fin:
            raise PydanticCustomError(
                "periode",
                "« debut » ({debut}) est postérieur à « fin » ({fin}) ; attendu debut ≤ fin",
                {"debut": self.debut.isoformat(), "fin": self.fin.isoformat()},
            )
        return self


class Offre(Model):
    """What fiches actions and dispositifs share: a data·inclusion service plus the drop-out fields."""

    id: Annotated[Slug, Field(description="Identifiant, égal au nom du fichier sans .yaml")]
    nom: Annotated[str, Field(min_length=3, max_length=150, description="Nom de l'action ou du dispositif")]
    description: Annotated[
        str, Field(min_length=20, description="Ce que c'est, en quelques phrases (Markdown)")
    ]
    type: Annotated[TypeService, Field(description="Type de service data·inclusion")]
    thematiques: Annotated[list[Thematique], as_list(), Field(min_length=1, description="Thématiques")]
    publics: Annotated[list[Public], as_list(), Field(min_length=1, description="Publics data·inclusion")]
    frais: Annotated[Frais | None, Field(description="gratuit ou payant")] = None
    frais_precisions: Annotated[
        str | None, Field(description="Précisions sur les frais ou la rémunération")
    ] = None
    conditions_acces: Annotated[str | None, Field(description="Conditions d'accès, prérequis")] = None
    publics_precisions: Annotated[str | None, Field(description="Précisions sur le public")] = None
    modes_accueil: Annotated[list[ModeAccueil], as_list(), Field(description="Modes d'accueil")] = []
    modes_mobilisation: Annotated[
        list[ModeMobilisation], as_list(), Field(description="Modes de mobilisation")
    ] = []
    mobilisable_par: Annotated[
        list[Mobilisateur], as_list(), Field(description="usagers et/ou professionnels")
    ] = []
    mobilisation_precisions: Annotated[
        str | list[str] | None,
        Field(description="Comment mobiliser : un texte (Markdown) ou la liste des étapes, une par élément"),
    ] = None
    lien_mobilisation: Annotated[Url | None, Field(description="Lien pour mobiliser le service")] = None
    zone_eligibilite: Annotated[
        list[ZoneCode], as_list(), Field(description="Codes INSEE (départements 59, 62…) ou « france »")
    ] = []
    telephone: Annotated[Phone | None, Field(description="Téléphone (numéro français)")] = None
    courriel: Annotated[Email | None, Field(description="Courriel de contact")] = None
    lien_source: Annotated[Url | None, Field(description="Page de référence")] = None
    date_maj: Annotated[PastDate, Field(description="Date de dernière vérification (AAAA-MM-JJ)")]
    territoires: Annotated[
        list[Slug], as_list(), Field(description="Identifiants des territoires concernés")
    ] = []
    volet: Annotated[list[Volet], as_list(), Field(description="prevention et/ou reparation")] = []
    famille_solution: Annotated[FamilleSolution, Field(description="Famille de solution")]
    age_min: Annotated[int | None, Field(ge=0, le=99, description="Âge minimal")] = None
    age_max: Annotated[int | None, Field(ge=0, le=99, description="Âge maximal")] = None
    age_max_handicap: Annotated[
        int | None,
        Field(
            ge=0, le=99, description="Âge maximal pour un jeune reconnu handicapé, quand la règle le relève"
        ),
    ] = None
    reserve_a: Annotated[
        list[Literal["handicap", "ase"]],
        as_list(),
        Field(
            description="Réservé aux jeunes reconnus handicapés (handicap) ou accompagnés par l'Aide sociale à "
            "l'enfance (ase)"
        ),
    ] = []
    statuts: Annotated[list[Statut], as_list(), Field(description="Statuts des jeunes concernés")] = []
    niveaux: Annotated[list[Niveau], as_list(), Field(description="Niveaux de formation concernés")] = []
    prescripteurs: Annotated[list[Prescripteur], as_list(), Field(description="Qui prescrit ou oriente")] = []
    duree: Annotated[str | None, Field(description="Durée")] = None
    remuneration: Annotated[str | None, Field(description="Rémunération ou allocation du jeune")] = None
    sources: Annotated[list[Source], Field(description="Sources officielles")] = []
    anciens_noms: Annotated[
        list[str], as_list(), Field(description="Anciens noms (ex. EMT pour la PMSMP)")
    ] = []
    dispositifs_lies: Annotated[
        list[Slug], as_list(), Field(description="Identifiants de dispositifs liés")
    ] = []
    mots_cles: Annotated[
        list[Annotated[str, Field(min_length=2, max_length=80)]],
        as_list(),
        Field(description="Mots des usagers qui doivent trouver la fiche, ex. « stage en entreprise »"),
    ] = []
    exemple: Annotated[
        bool, Field(description="true pour une fiche d'illustration (bandeau « exemple »)")
    ] = False


class Dispositif(Offre):
    """A national common-law scheme a CTL can propose."""

    operateur: Annotated[
        str, Field(min_length=2, description="Qui le met en œuvre (ex. les missions locales)")
    ]
    sources: Annotated[list[Source], Field(min_length=1, description="Sources officielles (au moins une)")]


class Fiche(Offre):
    """A local action run by a partner structure (often a projet d'initiative locale)."""

    porteur: Annotated[Slug, Field(description="Identifiant de la structure qui porte l'action")]
    territoires: Annotated[list[Slug], as_list(), Field(min_length=1, description="Territoires de l'action")]
    volet: Annotated[list[Volet], as_list(), Field(min_length=1, description="prevention et/ou reparation")]
    beneficiaires: Annotated[Beneficiaires | None, Field(description="Nombre de bénéficiaires attendus")] = (
        None
    )
    periode: Annotated[
        Periode | None,
        Field(description="Dates de l'action : l'état (en cours, terminée, à venir) s'en déduit"),
    ] = None
    active: Annotated[
        bool | None,
        Field(description="Vide : l'état se déduit de « periode » ; false : action arrêtée avant sa fin"),
    ] = None
    adresse: Annotated[str | None, Field(description="Adresse du lieu d'accueil")] = None
    code_postal: Annotated[str | None, Field(pattern=r"^\d{5}$", description="Code postal")] = None
    commune: Annotated[str | None, Field(description="Commune")] = None


class Structure(Model):
    """A partner structure that runs actions (public facts only)."""

    id: Annotated[Slug, Field(description="Identifiant, égal au nom du fichier sans .yaml")]
    nom: Annotated[str, Field(min_length=2, max_length=150, description="Nom de la structure")]
    description: Annotated[str | None, Field(description="Présentation")] = None
    siret: Annotated[str | None, Field(pattern=r"^\d{14}$", description="SIRET (14 chiffres)")] = None
    site_web: Annotated[Url | None, Field(description="Site web")] = None
    telephone: Annotated[Phone | None, Field(description="Téléphone")] = None
    courriel: Annotated[Email | None, Field(description="Courriel")] = None
    adresse: Annotated[str | None, Field(description="Adresse")] = None
    code_postal: Annotated[str | None, Field(pattern=r"^\d{5}$", description="Code postal")] = None
    commune: Annotated[str | None, Field(description="Commune")] = None
    territoires: Annotated[list[Slug], as_list(), Field(description="Territoires d'intervention")] = []
    date_maj: Annotated[PastDate, Field(description="Date de dernière vérification")]
    sources: Annotated[list[Source], Field(description="Sources")] = []
    exemple: Annotated[bool, Field(description="true pour une structure d'illustration")] = False


class Outil(Model):
    """A tool of the plan's toolkit (annexe 3 of the final report)."""

    id: Annotated[Slug, Field(description="Identifiant, égal au nom du fichier sans .yaml")]
    nom: Annotated[str, Field(min_length=3, description="Nom de l'outil")]
    numero: Annotated[int | None, Field(ge=1, description="Numéro dans l'annexe 3 du rapport final")] = None
    fonction: Annotated[str, Field(min_length=5, description="À quoi il sert")]
    utilisateurs: Annotated[str, Field(description="Utilisateurs ou destinataires")]
    format: Annotated[str, Field(description="Format (papier, électronique…)")]
    transferable: Annotated[bool, Field(description="Transférable à d'autres territoires")]
    page: Annotated[
        str | None, Field(description="Page du guide (chemin sous content/) du modèle imprimable")
    ] = None
    formulaire: Annotated[str | None, Field(pattern=r"^/", description="Formulaire en ligne (chemin)")] = None
    sources: Annotated[
        list[Reference],
        Field(min_length=1, description="Sources : le rapport final qui décrit l'outil (au moins une)"),
    ]
    date_maj: Annotated[PastDate, Field(description="Date de dernière vérification")]


class Perimetre(Model):
    """The places a territory covers, checked against the communes referential (`data/communes.json`)."""

    epci: Annotated[
        list[Annotated[str, Field(pattern=r"^\d{9}$")]],
        as_list(),
        Field(description="SIREN des EPCI (9 chiffres) dont toutes les communes sont du territoire"),
    ] = []
    arrondissements: Annotated[
        list[Annotated[str, Field(pattern=r"^(\d{3}|2[AB]\d|97\d{2})$")]],
        as_list(),
        Field(description="Codes des arrondissements (ex. 596) dont toutes les communes sont du territoire"),
    ] = []
    communes: Annotated[
        list[Annotated[str, Field(pattern=r"^(\d{5}|2[AB]\d{3})$")]],
        as_list(),
        Field(description="Codes INSEE des communes du territoire (5 caractères)"),
    ] = []
    reste: Annotated[
        bool,
        Field(description="true : les communes de ses départements qui ne sont dans aucun autre territoire"),
    ] = False
    source: Annotated[
        str,
        Field(min_length=3, description="D'où vient le périmètre : unité officielle, liste, lien (Markdown)"),
    ]
    date_maj: Annotated[PastDate, Field(description="Date de dernière vérification du périmètre")]

    @model_validator(mode="after")
    def _lists_or_reste(self) -> Self:
        lists = self.epci or self.arrondissements or self.communes
        if self.reste and lists:
            raise PydanticCustomError(
                "perimetre", "« reste: true » exclut les listes epci, arrondissements et communes"
            )
        if not self.reste and not lists:
            raise PydanticCustomError(
                "perimetre",
                "attendu au moins un code dans epci, arrondissements ou communes, ou « reste: true »",
            )
        return self


class Territoire(Model):
    """A territory (bassin d'emploi or communauté urbaine)."""

    id: Annotated[Slug, Field(description="Identifiant stable")]
    nom: Annotated[str, Field(min_length=3, description="Nom du territoire")]
    type: Annotated[
        Literal["experimental", "associe", "hors-experimentation"], Field(description="Place dans le plan")
    ]
    departements: Annotated[list[ZoneCode], Field(min_length=1, description="Codes des départements")]
    description: Annotated[str | None, Field(description="Présentation")] = None
    perimetre: Annotated[
        Perimetre | None, Field(description="Les communes du territoire (EPCI, arrondissements, communes)")
    ] = None
    sources: Annotated[
        list[Reference], Field(description="Sources : le rapport final pour les territoires du plan")
    ] = []
    date_maj: Annotated[PastDate, Field(description="Date de dernière vérification")]


class TerritoiresFile(Model):
    """data/territoires.yaml."""

    territoires: Annotated[list[Territoire], Field(min_length=1, description="Les territoires")]


class Entree(Model):
    """One value of a nomenclature."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$", description="Identifiant stable, stocké en base")]
    libelle: Annotated[str, Field(min_length=1, description="Libellé affiché")]
    description: Annotated[str | None, Field(description="Explication")] = None


class NomenclaturesFile(Model):
    """data/nomenclatures.yaml: every enumeration shared by the guide and the forms."""

    niveaux: list[Entree]
    statuts: list[Entree]
    orienteurs: list[Entree]
    suivi_structures: list[Entree]
    volets: list[Entree]
    familles_solution: list[Entree]
    sexes: list[Entree]
    secteurs: list[Entree]
    cadres_rupture: list[Entree]
    motifs_rupture: list[Entree]
    situations_actuelles: list[Entree]
    besoins: list[Entree]
    statuts_situation: list[Entree]
    sorties: list[Entree]
    motifs_sans_suite: list[Entree]


KINDS: dict[str, type[Model]] = {
    "dispositifs": Dispositif,
    "fiches": Fiche,
    "structures": Structure,
    "outils": Outil,
}


class Valeur(Model):
    """One bar of a chart."""

    libelle: Annotated[str, Field(min_length=1, description="Libellé")]
    valeur: Annotated[float, Field(ge=0, description="Valeur")]


class Graphique(Model):
    """One chart of « Le plan en chiffres », drawn at build time with its data table."""

    id: Annotated[Slug, Field(description="Identifiant (nom du fichier SVG)")]
    titre: Annotated[str, Field(min_length=3, description="Titre du graphique")]
    unite: Annotated[str, Field(description="Unité des valeurs (jeunes, %, euros…)")]
    valeurs: Annotated[list[Valeur], Field(min_length=1, description="Les barres")]
    note: Annotated[str | None, Field(description="Lecture, précision sur les données")] = None


class ChiffresFile(Model):
    """data/chiffres.yaml: the plan's figures (from the final report), drawn as charts."""

    source: Annotated[Source, Field(description="Source des chiffres")]
    date_maj: Annotated[PastDate, Field(description="Date de dernière vérification")]
    graphiques: Annotated[list[Graphique], Field(min_length=1, description="Les graphiques")]
