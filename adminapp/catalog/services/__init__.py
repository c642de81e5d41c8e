"""The catalog's writes, by aggregate (datasets, data rows, global keys)."""
