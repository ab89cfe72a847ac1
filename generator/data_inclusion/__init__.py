"""Import of the national data·inclusion v1 feed as located sheets (`python -m generator import-data-inclusion`).

`reader` streams the feed's files, `locate` finds each service's territories, `convert` turns a validated record
into a sheet, `corrections` reads the local overrides, `write` writes the sheets atomically, `importer` runs the
whole import and `cli` prints its report. `model` declares the imported files' schema for the catalogue,
`page` what their pages add (source, structure).
"""
