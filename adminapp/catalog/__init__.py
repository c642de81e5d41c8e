"""The catalog: datasets, their data rows and the rows' global keys (SPEC §4)."""
