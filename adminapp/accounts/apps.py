from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "adminapp.accounts"
    label = "accounts"

    def ready(self) -> None:
        from adminapp import authz
        from adminapp.accounts.models import ApiKey, OrgMembership
        from adminapp.accounts.org_data import register_accounts_sections

        register_accounts_sections()

        # Every session that login() opens is listed for its user; logout() drops it.
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from adminapp.accounts.services import sessions

        user_logged_in.connect(
            lambda sender, request, user, **kw: sessions.opened(request, user),
            dispatch_uid="adminapp.accounts.session_opened",
            weak=False,
        )
        user_logged_out.connect(
            lambda sender, request, **kw: sessions.closed(request),
            dispatch_uid="adminapp.accounts.session_closed",
            weak=False,
        )

        authz.register_resource(
            "key", lambda rid, org: ApiKey.objects.filter(id=rid, organization_id=org).exists()
        )
        authz.register_resource(
            "usr",
            lambda rid, org: OrgMembership.objects.filter(
                user_id=rid, organization_id=org
            ).exists(),
        )
