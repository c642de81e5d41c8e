"""Plugins (issue 11): installed from a store, an uploaded archive or git, validated,
stored through Django's storage and materialized per worker; their components (importers,
macros) are what the rest of the portal looks up through ``selectors``."""
