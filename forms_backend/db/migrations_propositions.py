"""The tables of migration 8: partners' proposals, the territories they concern, freshness reminders."""

from __future__ import annotations

# A partner's proposal of a new action, or of a correction to a sheet, waiting for a moderator (docs/domaine.md,
# « Propositions »). `donnees` is the proposed sheet as JSON (the form's fields); the proposer's contact is kept
# only to answer and anonymised like a situation's.
PROPOSITIONS = """
CREATE TABLE propositions (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    genre TEXT NOT NULL CHECK (genre IN ('nouvelle', 'correction', 'rien-a-changer')),
    cible_type TEXT CHECK (cible_type IN ('fiche', 'dispositif')),
    cible TEXT,
    donnees TEXT NOT NULL CHECK (json_valid(donnees)),
    motif TEXT,
    proposeur_nom TEXT NOT NULL,
    proposeur_structure TEXT NOT NULL,
    proposeur_courriel TEXT NOT NULL,
    statut TEXT NOT NULL DEFAULT 'en-attente'
        CHECK (statut IN ('en-attente', 'question', 'acceptee', 'refusee')),
    message TEXT,
    decide_par TEXT,
    decide_at TEXT,
    fichier TEXT,
    cle_envoi TEXT UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    anonymise_at TEXT
)
"""

# The territories a proposal concerns (a new action's, or the corrected sheet's): a coordinator moderates the
# proposals of their territories; a proposal without territory (a national dispositif) is for regional accounts.
PROPOSITION_TERRITOIRES = """
CREATE TABLE proposition_territoires (
    proposition_id INTEGER NOT NULL REFERENCES propositions(id) ON DELETE CASCADE,
    territoire TEXT NOT NULL,
    PRIMARY KEY (proposition_id, territoire)
) WITHOUT ROWID
"""

# Freshness reminders sent to a sheet's public contact: at most one per sheet every 90 days.
RAPPELS = """
CREATE TABLE rappels_actualisation (
    id INTEGER PRIMARY KEY,
    fiche_type TEXT NOT NULL,
    fiche TEXT NOT NULL,
    envoye_at TEXT NOT NULL
)
"""
