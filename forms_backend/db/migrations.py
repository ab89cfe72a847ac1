"""Versioned schema changes, applied in order at start-up; `PRAGMA user_version` records the last one."""

from __future__ import annotations

from dataclasses import dataclass

from forms_backend.db import migrations_cfa, migrations_observatoire
from forms_backend.db.migrations_propositions import PROPOSITION_TERRITOIRES, PROPOSITIONS, RAPPELS


@dataclass(frozen=True)
class Migration:
    """One schema change: its version number, a one-line description, its statements."""

    version: int
    description: str
    statements: tuple[str, ...]
    # A data step the statements cannot do alone, given to `connection.migrate` by name (it needs the communes
    # referential, which the database layer does not read): run in the same transaction, after the statements.
    backfill: str = ""


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
# or not an account exists), so throttling answers the same for unknown addresses; from migration 6, also per
# known browser (`cle` = the address's digest, `:`, the browser's), and no lock any more (`verrouille_at` dropped).
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

# Follow-up of a situation by the CTL. The current state (next CTL meeting, outcome, référent tuteur) lives in
# typed columns of `situations`, which the table filters and sorts; every change is also an event of
# `suivi_evenements`, the history shown as a timeline (who, when, what).
SUIVI_EVENEMENTS = """
CREATE TABLE suivi_evenements (
    id INTEGER PRIMARY KEY,
    situation_id INTEGER NOT NULL REFERENCES situations(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    auteur_id INTEGER,
    auteur TEXT,
    genre TEXT NOT NULL CHECK (genre IN ('creation', 'statut', 'note', 'solution', 'solution-retiree',
                                         'referent', 'ctl')),
    statut TEXT,
    ancien_statut TEXT,
    issue TEXT,
    texte TEXT,
    solution_type TEXT CHECK (solution_type IN ('dispositif', 'fiche')),
    solution_id TEXT,
    referent_nom TEXT,
    referent_structure TEXT,
    date_valeur TEXT
)
"""

SITUATION_SOLUTIONS = """
CREATE TABLE situation_solutions (
    situation_id INTEGER NOT NULL REFERENCES situations(id) ON DELETE CASCADE,
    type TEXT NOT NULL CHECK (type IN ('dispositif', 'fiche')),
    cible TEXT NOT NULL,
    proposee_at TEXT NOT NULL,
    auteur TEXT,
    PRIMARY KEY (situation_id, type, cible)
) WITHOUT ROWID
"""

# Accent- and case-insensitive search on name, first name and reference. SQLite's lower() only folds ASCII:
# the accented letters of French names are replaced one by one, in two virtual columns (SQLite's parser refuses
# more nesting in one). Virtual columns cost no storage; the index keeps the folded text, so that a search scans
# the index instead of recomputing every row.
FOLDED_LETTERS = {
    "a": "àâäáÀÂÄÁ",
    "c": "çÇ",
    "e": "éèêëÉÈÊË",
    "i": "îïíÎÏÍ",
    "n": "ñÑ",
    "o": "ôöóÔÖÓ",
    "u": "ùûüúÙÛÜÚ",
    "y": "ÿŸ",
    "oe": "œŒ",
    "ae": "æÆ",
}
_REPLACEMENTS = [(letter, plain) for plain, letters in FOLDED_LETTERS.items() for letter in letters]


def _folded(expression: str, replacements: list[tuple[str, str]]) -> str:
    for letter, plain in replacements:
        expression = f"replace({expression}, '{letter}', '{plain}')"
    return expression


_HALF = len(_REPLACEMENTS) // 2
RECHERCHE_PARTIELLE = (
    "ALTER TABLE situations ADD COLUMN recherche_partielle TEXT GENERATED ALWAYS AS ("
    + _folded("lower(nom || ' ' || prenom || ' ' || reference)", _REPLACEMENTS[:_HALF])
    + ") VIRTUAL"
)
RECHERCHE = (
    "ALTER TABLE situations ADD COLUMN recherche TEXT GENERATED ALWAYS AS ("
    + _folded("recherche_partielle", _REPLACEMENTS[_HALF:])
    + ") VIRTUAL"
)

# `situations.statut` only takes the statuses of `vocabulary.STATUTS` (a table's CHECK cannot be added by ALTER
# TABLE in SQLite: two triggers do it). The list is written out because a migration must not change once applied;
# a test checks it names exactly `vocabulary.STATUTS`. Adding a status means a new migration re-creating both.
_KNOWN_STATUTS = (
    "('nouveau', 'a-examiner-en-ctl', 'solution-proposee', 'accompagnement', 'sortie', 'sans-suite')"
)
STATUT_CONNU_INSERT = f"""
CREATE TRIGGER situations_statut_connu_insert BEFORE INSERT ON situations
WHEN new.statut NOT IN {_KNOWN_STATUTS}
BEGIN
    SELECT RAISE(ABORT, 'statut de situation inconnu');
END
"""
STATUT_CONNU_UPDATE = f"""
CREATE TRIGGER situations_statut_connu_update BEFORE UPDATE OF statut ON situations
WHEN new.statut NOT IN {_KNOWN_STATUTS}
BEGIN
    SELECT RAISE(ABORT, 'statut de situation inconnu');
END
"""

BACKFILL_COMMUNES = "communes"

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
    Migration(
        3,
        "suivi des situations : historique, notes, solutions, référent tuteur, prochaine CTL, sortie, recherche",
        (
            "ALTER TABLE situations ADD COLUMN prochaine_ctl TEXT",
            "ALTER TABLE situations ADD COLUMN sortie TEXT",
            "ALTER TABLE situations ADD COLUMN motif_sans_suite TEXT",
            "ALTER TABLE situations ADD COLUMN referent_nom TEXT",
            "ALTER TABLE situations ADD COLUMN referent_structure TEXT",
            "ALTER TABLE situations ADD COLUMN referent_contrat_signe TEXT",
            RECHERCHE_PARTIELLE,
            RECHERCHE,
            SUIVI_EVENEMENTS,
            "CREATE INDEX suivi_evenements_situation ON suivi_evenements(situation_id, id)",
            SITUATION_SOLUTIONS,
            "CREATE INDEX situations_created_at ON situations(created_at)",
            "CREATE INDEX situations_statut ON situations(statut, created_at)",
            "CREATE INDEX situations_source ON situations(source, created_at)",
            "CREATE INDEX situations_prochaine_ctl ON situations(prochaine_ctl, territoire)",
            "CREATE INDEX situations_territoire_ctl ON situations(territoire, prochaine_ctl)",
            "CREATE INDEX situations_recherche ON situations(territoire, recherche)",
        ),
    ),
    Migration(
        4,
        "index couvrants des compteurs par statut filtrés par source ou par prochaine CTL",
        (
            # The counts per status group by statut: with these, a source or next-CTL filter reads one index.
            "CREATE INDEX situations_source_statut ON situations(source, statut)",
            "CREATE INDEX situations_ctl_statut ON situations(prochaine_ctl, statut)",
            "DROP INDEX situations_prochaine_ctl",
        ),
    ),
    Migration(
        5,
        "la base refuse un statut de situation inconnu",
        (STATUT_CONNU_INSERT, STATUT_CONNU_UPDATE),
    ),
    Migration(
        6,
        "plus de verrouillage définitif après des échecs de connexion : un ralentissement qui expire seul",
        ("ALTER TABLE connexion_echecs DROP COLUMN verrouille_at",),
    ),
    Migration(
        7,
        "commune de résidence : code INSEE et territoire de la commune, remplis pour les situations existantes",
        (
            "ALTER TABLE situations ADD COLUMN commune_insee TEXT",
            "ALTER TABLE situations ADD COLUMN territoire_commune TEXT",
        ),
        backfill=BACKFILL_COMMUNES,
    ),
    Migration(
        8,
        "propositions de fiches et de corrections par les partenaires, modération, rappels d'actualisation",
        (
            PROPOSITIONS,
            "CREATE INDEX propositions_statut ON propositions(statut, created_at)",
            PROPOSITION_TERRITOIRES,
            "CREATE INDEX proposition_territoires_territoire ON proposition_territoires(territoire)",
            RAPPELS,
            "CREATE INDEX rappels_fiche ON rappels_actualisation(fiche_type, fiche, envoye_at)",
        ),
    ),
    Migration(
        9,
        "index de l'observatoire : un par valeur comptée, étapes du suivi, activité des situations ouvertes",
        migrations_observatoire.STATEMENTS,
    ),
    Migration(
        10,
        "espace des CFA : rôle cfa et ses UAI, signalements par fichier ou API, jetons d'API, résumés",
        migrations_cfa.STATEMENTS,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
