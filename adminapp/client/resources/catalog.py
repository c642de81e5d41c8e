"""``client.datasets``, ``client.data_rows`` and ``client.global_keys`` (SPEC §4)."""

from __future__ import annotations

from adminapp.client.resources._base import Resource

# --- datasets and data rows -----------------------------------------------------------------


class Datasets(Resource):
    """``client.datasets``: the datasets of a space."""


class DataRows(Resource):
    """``client.data_rows``: the rows of a dataset."""


# --- global keys ----------------------------------------------------------------------------


class GlobalKeys(Resource):
    """``client.global_keys``: assign, clear and look up global keys, as jobs."""
