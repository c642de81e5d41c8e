"""Wire types of the catalog: datasets, data rows and global keys (SPEC §4)."""

from __future__ import annotations

__all__: list[str] = []

# --- datasets and data rows -----------------------------------------------------------------

# --- global keys ----------------------------------------------------------------------------
