"""Indexes of the observatory (migration 9): each of its counts streams through one index, in the order of the
value it counts, instead of sorting or reading the situations one by one."""

from __future__ import annotations

# The age bucket at reception, as `db.observatoire.AGE_BUCKET` writes it (without the table's alias): an
# index on the expression answers the same expression in a query.
_AGE = (
    "(CAST(substr(created_at, 1, 4) AS INTEGER) - CAST(substr(date_naissance, 1, 4) AS INTEGER)"
    " - (substr(created_at, 6, 5) < substr(date_naissance, 6, 5)))"
)
AGE_BUCKET = (
    f"CASE WHEN length(date_naissance) <> 10 THEN 'inconnu' WHEN {_AGE} < 16 THEN 'moins-16' "
    f"WHEN {_AGE} < 18 THEN '16-17' WHEN {_AGE} <= 25 THEN '18-25' ELSE 'plus-25' END"
)

STATEMENTS = (
    "CREATE INDEX situations_obs_periode ON situations(id, territoire, created_at)",
    "CREATE INDEX situations_obs_source ON situations(source, territoire, created_at)",
    "CREATE INDEX situations_obs_sexe ON situations(sexe, territoire, created_at)",
    f"CREATE INDEX situations_obs_age ON situations({AGE_BUCKET}, territoire, created_at)",
    "CREATE INDEX situations_obs_statut ON situations(statut, sortie, territoire, created_at)",
    "CREATE INDEX situations_activite ON situations(statut, territoire, updated_at)",
    "CREATE INDEX rapports_rupture_obs_niveau ON rapports_rupture(niveau, situation_id)",
    "CREATE INDEX rapports_rupture_obs_situation ON rapports_rupture(situation_actuelle, situation_id)",
    "CREATE INDEX rapports_rupture_obs_cadre ON rapports_rupture(cadre_rupture, situation_id)",
    "CREATE INDEX orientations_obs_niveau ON orientations(niveau, situation_id)",
    "CREATE INDEX orientations_obs_statut ON orientations(statut_jeune, situation_id)",
    "CREATE INDEX rupture_motifs_obs ON rupture_motifs(motif, situation_id)",
    # The first event of each step (examination, solution, closing): `min(at)` per situation from the index.
    "CREATE INDEX suivi_evenements_etapes ON suivi_evenements(genre, statut, situation_id, at)",
)
