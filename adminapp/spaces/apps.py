from django.apps import AppConfig


class SpacesConfig(AppConfig):
    name = "adminapp.spaces"
    label = "spaces"

    def ready(self) -> None:
        from adminapp import authz
        from adminapp.accounts import guards, principals
        from adminapp.core.principal import PrincipalKind
        from adminapp.spaces import selectors
        from adminapp.spaces.models import SpaceRole
        from adminapp.spaces.services.members import account_role_guard

        authz.register_space_lookups(
            authz.SpaceLookups(
                exists=selectors.space_exists, membership=selectors.space_membership_grant
            )
        )
        authz.register_resource("spc", selectors.space_exists, scope=authz.Scope.SPACE)
        authz.register_resource(
            "rol", lambda rid, org: SpaceRole.objects.filter(id=rid, organization_id=org).exists()
        )
        principals.register_owner_resolver(PrincipalKind.SPACE_TOKEN, selectors.space_token_owner)
        guards.register_account_role_guard("spaces", account_role_guard)
        from adminapp.spaces import (
            jobs,  # noqa: F401 - registers space_delete
            org_data,
        )

        org_data.register()
