from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "adminapp.catalog"
    label = "catalog"

    def ready(self) -> None:
        from adminapp import authz
        from adminapp.catalog import global_key_jobs, imports, jobs, selectors  # noqa: F401 - kinds
        from adminapp.spaces.jobs import register_purge_step

        authz.register_resource("dst", selectors.dataset_in_org)
        authz.register_resource("dr", selectors.data_row_in_org)
        # A deleted space's rows go first (freeing their keys), then its datasets; the
        # space row is always the purge's last chunk.
        register_purge_step(jobs.DATA_ROWS_PURGE)
        register_purge_step(jobs.DATASETS_PURGE)
        from adminapp.catalog import org_data

        org_data.register()
