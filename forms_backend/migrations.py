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

# Accounts of the coordinators. `connexion_echecs` counts failed logins per typed address (a digest, whether
# or not an account exists), so throttling and locking answer the same for unknown addresses.
UTILISATEURS = """
CREATE TABLE utilisateurs (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    mot_de_passe TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('coordinateur', 'regional')),
    actif INTEGER NOT NULL DEFAULT 1 CHECK (actif IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""

UTILISATEUR_TERRITOIRES = """
CREATE TABLE utilisateur_territoires (
    utilisateur_id INTEGER NOT NULL REFERENCES utilisateurs(id) ON DELETE CASCADE,
    territoire TEXT NOT NULL,
    PRIMARY KEY (utilisateur_id, territoire)
) WITHOUT ROWID
"""

CONNEXION_ECHECS = """
CREATE TABLE connexion_echecs (
    cle TEXT PRIMARY KEY,
    echecs INTEGER NOT NULL,
    dernier_echec_at TEXT NOT NULL,
    verrouille_at TEXT
) WITHOUT ROWID
"""

# Server-side sessions: the cookie carries a random id, the table only its SHA-256 (a copy of the database
# gives no usable session).
SESSIONS = """
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    utilisateur_id INTEGER NOT NULL REFERENCES utilisateurs(id) ON DELETE CASCADE,
    csrf_secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
) WITHOUT ROWID
"""

# Append-only: no UPDATE ever, DELETE only of entries older than 12 months (the purge). No foreign key: an
# entry outlives what it names.
AUDIT = """
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    utilisateur_id INTEGER,
    email TEXT,
    action TEXT NOT NULL,
    cible TEXT,
    resultat TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
)
"""

AUDIT_NO_UPDATE = """
CREATE TRIGGER audit_sans_modification BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit : modification interdite');
END
"""

AUDIT_DELETE_OLD_ONLY = """
CREATE TRIGGER audit_suppression_apres_12_mois BEFORE DELETE ON audit
WHEN old.at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-12 months')
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit : suppression interdite avant 12 mois');
END
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
    Migration(
        2,
        "comptes des coordinateurs, sessions, échecs de connexion, journal d'audit, marque d'anonymisation",
        (
            UTILISATEURS,
            UTILISATEUR_TERRITOIRES,
            "CREATE INDEX utilisateur_territoires_territoire ON utilisateur_territoires(territoire)",
            CONNEXION_ECHECS,
            SESSIONS,
            "CREATE INDEX sessions_utilisateur ON sessions(utilisateur_id)",
            AUDIT,
            "CREATE INDEX audit_at ON audit(at)",
            AUDIT_NO_UPDATE,
            AUDIT_DELETE_OLD_ONLY,
            "ALTER TABLE situations ADD COLUMN anonymise_at TEXT",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
