from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "adminapp.storage"
    label = "storage"

    def ready(self) -> None:
        from adminapp import authz
        from adminapp.storage import jobs, selectors, transfers  # noqa: F401 - kinds

        authz.register_resource("bkt", selectors.bucket_config_in_org)
        authz.register_resource("repo", selectors.repo_in_org)
        from adminapp.storage import org_data

        org_data.register()
