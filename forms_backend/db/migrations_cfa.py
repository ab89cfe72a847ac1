"""DDL of migration 10 (issue 15, the CFAs' area): the `cfa` role, the UAIs of a CFA account, the reports a CFA
sent (by file or API), its API tokens (their SHA-256 only), the answers kept for an `Idempotency-Key`, the
weekly digest's choice.

The role is a CHECK of `utilisateurs`, which SQLite cannot change in place: the table is rebuilt. Its children
(`utilisateur_territoires`, `sessions`) would be emptied by the DROP (ON DELETE CASCADE with foreign keys on),
so they are copied aside first and put back once the new table has the old name.
"""

from __future__ import annotations

_KEEP_CHILDREN = (
    "CREATE TEMP TABLE v10_territoires AS SELECT * FROM utilisateur_territoires",
    "CREATE TEMP TABLE v10_sessions AS SELECT * FROM sessions",
)

UTILISATEURS_V10 = """
CREATE TABLE utilisateurs_v10 (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    mot_de_passe TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('coordinateur', 'regional', 'cfa')),
    actif INTEGER NOT NULL DEFAULT 1 CHECK (actif IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""

REBUILD_UTILISATEURS = (
    *_KEEP_CHILDREN,
    UTILISATEURS_V10,
    "INSERT INTO utilisateurs_v10 (id, email, mot_de_passe, role, actif, created_at, updated_at) "
    "SELECT id, email, mot_de_passe, role, actif, created_at, updated_at FROM utilisateurs",
    "DROP TABLE utilisateurs",
    "ALTER TABLE utilisateurs_v10 RENAME TO utilisateurs",
    "INSERT INTO utilisateur_territoires SELECT * FROM v10_territoires",
    "INSERT INTO sessions SELECT * FROM v10_sessions",
    "DROP TABLE v10_territoires",
    "DROP TABLE v10_sessions",
)

UTILISATEUR_UAI = """
CREATE TABLE utilisateur_uai (
    utilisateur_id INTEGER NOT NULL REFERENCES utilisateurs(id) ON DELETE CASCADE,
    uai TEXT NOT NULL CHECK (length(uai) = 8),
    PRIMARY KEY (utilisateur_id, uai)
) WITHOUT ROWID
"""

# Which CFA (UAI) sent a situation, how, and from which account or token: what « Mes signalements » lists.
CFA_SIGNALEMENTS = """
CREATE TABLE cfa_signalements (
    situation_id INTEGER PRIMARY KEY REFERENCES situations(id) ON DELETE CASCADE,
    uai TEXT NOT NULL,
    canal TEXT NOT NULL CHECK (canal IN ('fichier', 'api')),
    utilisateur_id INTEGER,
    jeton_id INTEGER,
    created_at TEXT NOT NULL
)
"""

CFA_JETONS = """
CREATE TABLE cfa_jetons (
    id INTEGER PRIMARY KEY,
    uai TEXT NOT NULL CHECK (length(uai) = 8),
    empreinte TEXT NOT NULL UNIQUE,
    debut TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoque_at TEXT,
    dernier_usage_at TEXT
)
"""

CFA_IDEMPOTENCE = """
CREATE TABLE cfa_idempotence (
    jeton_id INTEGER NOT NULL REFERENCES cfa_jetons(id) ON DELETE CASCADE,
    cle TEXT NOT NULL,
    empreinte_corps TEXT NOT NULL,
    reponse TEXT NOT NULL CHECK (json_valid(reponse)),
    created_at TEXT NOT NULL,
    PRIMARY KEY (jeton_id, cle)
) WITHOUT ROWID
"""

CFA_RESUMES = """
CREATE TABLE cfa_resumes (
    utilisateur_id INTEGER PRIMARY KEY REFERENCES utilisateurs(id) ON DELETE CASCADE,
    actif INTEGER NOT NULL CHECK (actif IN (0, 1)),
    dernier_envoi_at TEXT
)
"""

STATEMENTS = (
    *REBUILD_UTILISATEURS,
    UTILISATEUR_UAI,
    "CREATE INDEX utilisateur_uai_uai ON utilisateur_uai(uai)",
    CFA_SIGNALEMENTS,
    "CREATE INDEX cfa_signalements_uai ON cfa_signalements(uai, created_at)",
    CFA_JETONS,
    CFA_IDEMPOTENCE,
    CFA_RESUMES,
)
