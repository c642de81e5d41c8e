from django.apps import AppConfig


class SpacesConfig(AppConfig):
    name = "adminapp.spaces"
    label = "spaces"

    def ready(self) -> None:
        from adminapp.accounts.permissions import register_resource
        from adminapp.jobs import registry
        from adminapp.spaces.models import Space, SpaceRole

        register_resource(
            "spc",
            lambda rid, org: Space.objects.filter(
                id=rid, organization_id=org, deleted_at__isnull=True
            ).exists(),
        )
        register_resource(
            "rol", lambda rid, org: SpaceRole.objects.filter(id=rid, organization_id=org).exists()
        )
        registry.register(
            "space_delete", "adminapp.spaces.services:space_delete_run", label="Space deletion"
        )
