"""PARTAJ guide ressource: YAML catalogue → validated models → MkDocs-Material site with search."""
