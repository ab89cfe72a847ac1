"""Versioned schema changes, applied in order at start-up; `PRAGMA user_version` records the last one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """One schema change: its version number, a one-line description, its statements."""

    version: int
    description: str
    statements: tuple[str, ...]


# A situation is one young person's case in the CTL tracking table, whatever its source; the report tables
# keep what each form adds. Columns the tracking table filters on are typed columns of `situations`.
SITUATIONS = """
CREATE TABLE situations (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('rupture', 'orientation', 'saisie')),
    territoire TEXT NOT NULL,
    statut TEXT NOT NULL DEFAULT 'nouveau',
    nom TEXT NOT NULL,
    prenom TEXT NOT NULL,
    date_naissance TEXT NOT NULL,
    sexe TEXT,
    code_postal TEXT NOT NULL,
    commune TEXT NOT NULL,
    telephone TEXT,
    courriel TEXT,
    suivi_structure TEXT NOT NULL,
    cle_envoi TEXT UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""

RAPPORTS_RUPTURE = """
CREATE TABLE rapports_rupture (
    situation_id INTEGER PRIMARY KEY REFERENCES situations(id) ON DELETE CASCADE,
    cfa_nom TEXT NOT NULL,
    cfa_uai TEXT,
    diplome_prepare TEXT NOT NULL,
    niveau TEXT NOT NULL,
    secteur TEXT NOT NULL,
    entreprise_nom TEXT NOT NULL,
    entreprise_siret TEXT,
    date_debut_contrat TEXT NOT NULL,
    date_fin_prevue TEXT NOT NULL,
    date_rupture TEXT NOT NULL,
    cadre_rupture TEXT NOT NULL,
    motif_precision TEXT,
    situation_actuelle TEXT NOT NULL,
    declarant_nom TEXT NOT NULL,
    declarant_fonction TEXT,
    declarant_courriel TEXT NOT NULL,
    declarant_telephone TEXT,
    jeune_informe INTEGER NOT NULL CHECK (jeune_informe = 1)
)
"""

RUPTURE_MOTIFS = """
CREATE TABLE rupture_motifs (
    situation_id INTEGER NOT NULL REFERENCES rapports_rupture(situation_id) ON DELETE CASCADE,
    motif TEXT NOT NULL,
    PRIMARY KEY (situation_id, motif)
) WITHOUT ROWID
"""

ORIENTATIONS = """
CREATE TABLE orientations (
    situation_id INTEGER PRIMARY KEY REFERENCES situations(id) ON DELETE CASCADE,
    statut_jeune TEXT NOT NULL,
    niveau TEXT NOT NULL,
    dernier_etablissement TEXT,
    description TEXT NOT NULL,
    orienteur_structure TEXT NOT NULL,
    orienteur_type TEXT NOT NULL,
    orienteur_nom TEXT NOT NULL,
    orienteur_courriel TEXT NOT NULL,
    orienteur_telephone TEXT,
    jeune_informe INTEGER NOT NULL CHECK (jeune_informe = 1),
    accord_representant_legal INTEGER NOT NULL DEFAULT 0
)
"""

ORIENTATION_BESOINS = """
CREATE TABLE orientation_besoins (
    situation_id INTEGER NOT NULL REFERENCES orientations(situation_id) ON DELETE CASCADE,
    besoin TEXT NOT NULL,
    PRIMARY KEY (situation_id, besoin)
) WITHOUT ROWID
"""

SEQUENCES = """
CREATE TABLE sequences (
    prefixe TEXT NOT NULL,
    annee INTEGER NOT NULL,
    dernier INTEGER NOT NULL,
    PRIMARY KEY (prefixe, annee)
) WITHOUT ROWID
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "situations, rapports de rupture, orientations, séquences des références",
        (
            SITUATIONS,
            "CREATE INDEX situations_territoire_statut ON situations(territoire, statut, created_at)",
            "CREATE INDEX situations_nom ON situations(nom, prenom)",
            "CREATE INDEX situations_updated_at ON situations(updated_at)",
            RAPPORTS_RUPTURE,
            RUPTURE_MOTIFS,
            ORIENTATIONS,
            ORIENTATION_BESOINS,
            SEQUENCES,
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
