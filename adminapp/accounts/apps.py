from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "adminapp.accounts"
    label = "accounts"

    def ready(self) -> None:
        from adminapp import authz
        from adminapp.accounts.models import ApiKey, OrgMembership
        from adminapp.accounts.org_data import register_accounts_sections

        register_accounts_sections()

        authz.register_resource(
            "key", lambda rid, org: ApiKey.objects.filter(id=rid, organization_id=org).exists()
        )
        authz.register_resource(
            "usr",
            lambda rid, org: OrgMembership.objects.filter(
                user_id=rid, organization_id=org
            ).exists(),
        )
