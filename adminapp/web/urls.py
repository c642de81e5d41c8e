"""The dashboard's URLs (namespace ``web``), domain by domain."""

from django.urls import path

from adminapp.web.accounts import invitations, passwords, security
from adminapp.web.accounts import views as accounts
from adminapp.web.audit import views as audit
from adminapp.web.catalog import global_keys
from adminapp.web.catalog import views as catalog
from adminapp.web.home import views as home
from adminapp.web.instance import views as instance
from adminapp.web.jobs import views as jobs
from adminapp.web.organization import views as organization
from adminapp.web.plugins import macros as plugin_macros
from adminapp.web.plugins import views as plugins
from adminapp.web.spaces import members, roles, tokens
from adminapp.web.spaces import views as spaces
from adminapp.web.storage import repos as storage_repos
from adminapp.web.storage import views as storage

app_name = "web"
urlpatterns = [
    path("", home.overview, name="overview"),
    # accounts
    path("login/", accounts.login_view, name="login"),
    path("logout/", accounts.logout_view, name="logout"),
    path("org/switch/", accounts.switch_org, name="switch_org"),
    path("api-keys/", accounts.api_keys, name="api_keys"),
    path("api-keys/<str:key_id>/revoke/", accounts.api_key_revoke, name="api_key_revoke"),
    path("members/", accounts.members, name="members"),
    path("members/invitations/", invitations.invitations, name="invitations"),
    path(
        "members/invitations/<str:invitation_id>/resend/",
        invitations.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "members/invitations/<str:invitation_id>/revoke/",
        invitations.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    path("account/password/", passwords.password_change, name="password_change"),
    path("login/two-factor/", security.login_two_factor, name="login_two_factor"),
    path("account/security/", security.security, name="security"),
    path("account/security/two-factor/start/", security.two_factor_start, name="two_factor_start"),
    path("account/security/two-factor/", security.two_factor_setup, name="two_factor_setup"),
    path(
        "account/security/two-factor/disable/",
        security.two_factor_disable,
        name="two_factor_disable",
    ),
    path("account/security/recovery-codes/", security.recovery_codes, name="recovery_codes"),
    path(
        "account/security/sessions/end-others/",
        security.sessions_end_others,
        name="sessions_end_others",
    ),
    path(
        "account/security/sessions/<str:session_id>/end/",
        security.session_end,
        name="session_end",
    ),
    path("password-reset/", passwords.password_reset, name="password_reset"),
    path(
        "password-reset/<str:token>/",
        passwords.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("members/<str:user_id>/", accounts.member_detail, name="member_detail"),
    path("members/<str:user_id>/deactivate/", accounts.member_deactivate, name="member_deactivate"),
    path("members/<str:user_id>/reactivate/", accounts.member_reactivate, name="member_reactivate"),
    path("members/<str:user_id>/transfer/", accounts.member_transfer, name="member_transfer"),
    path("members/<str:user_id>/role/", accounts.member_role, name="member_role"),
    path("members/<str:user_id>/remove/", accounts.member_remove, name="member_remove"),
    # spaces
    path("spaces/", spaces.spaces, name="spaces"),
    path("spaces/<str:space_id>/", spaces.space_detail, name="space_detail"),
    path("spaces/<str:space_id>/row/", spaces.space_row, name="space_row"),
    path("spaces/<str:space_id>/edit/", spaces.space_edit, name="space_edit"),
    path("spaces/<str:space_id>/delete/", spaces.space_delete, name="space_delete"),
    path("spaces/<str:space_id>/members/", members.space_member_add, name="space_member_add"),
    path(
        "spaces/<str:space_id>/members/<str:user_id>/role/",
        members.space_member_role,
        name="space_member_role",
    ),
    path(
        "spaces/<str:space_id>/members/<str:user_id>/remove/",
        members.space_member_remove,
        name="space_member_remove",
    ),
    path("spaces/<str:space_id>/tokens/", tokens.space_token_create, name="space_token_create"),
    path(
        "spaces/<str:space_id>/tokens/delete/",
        tokens.space_tokens_delete,
        name="space_tokens_delete",
    ),
    path(
        "spaces/<str:space_id>/tokens/<str:token_id>/deactivate/",
        tokens.space_token_deactivate,
        name="space_token_deactivate",
    ),
    path(
        "spaces/<str:space_id>/tokens/<str:token_id>/delete/",
        tokens.space_token_delete,
        name="space_token_delete",
    ),
    # catalog
    path("spaces/<str:space_id>/datasets/", catalog.datasets, name="datasets"),
    path("datasets/<str:dataset_id>/", catalog.dataset_detail, name="dataset_detail"),
    path("datasets/<str:dataset_id>/rows/", catalog.data_row_add, name="data_row_add"),
    path("datasets/<str:dataset_id>/edit/", catalog.dataset_edit, name="dataset_edit"),
    path("datasets/<str:dataset_id>/delete/", catalog.dataset_delete, name="dataset_delete"),
    path("datasets/<str:dataset_id>/import/", catalog.data_row_import, name="data_row_import"),
    path("data-rows/<str:data_row_id>/", global_keys.data_row_open, name="data_row_open"),
    path("data-rows/<str:data_row_id>/delete/", catalog.data_row_delete, name="data_row_delete"),
    path("global-keys/", global_keys.global_keys, name="global_keys"),
    path(
        "global-keys/jobs/<str:job_id>/",
        global_keys.global_keys_outcome,
        name="global_keys_outcome",
    ),
    path("global-keys/<str:op>/", global_keys.global_keys_run, name="global_keys_run"),
    path("roles/", roles.roles, name="roles"),
    path("roles/<str:role_id>/edit/", roles.role_edit, name="role_edit"),
    path("roles/<str:role_id>/delete/", roles.role_delete, name="role_delete"),
    # storage
    path("storage/buckets/", storage.bucket_configs, name="bucket_configs"),
    path(
        "storage/auth-fields/",  # not under buckets/: any nickname is a bucket's page
        storage.bucket_config_auth_fields,
        name="bucket_config_auth_fields",
    ),
    path(
        "storage/buckets/<str:nickname>/",
        storage.bucket_config_detail,
        name="bucket_config_detail",
    ),
    path(
        "storage/buckets/<str:nickname>/edit/",
        storage.bucket_config_edit,
        name="bucket_config_edit",
    ),
    path(
        "storage/buckets/<str:nickname>/default/",
        storage.bucket_config_set_default,
        name="bucket_config_set_default",
    ),
    path(
        "storage/buckets/<str:nickname>/check/",
        storage.bucket_config_check,
        name="bucket_config_check",
    ),
    path(
        "storage/buckets/<str:nickname>/check/<str:job_id>/",
        storage.bucket_config_check_status,
        name="bucket_config_check_status",
    ),
    path(
        "storage/buckets/<str:nickname>/delete/",
        storage.bucket_config_delete,
        name="bucket_config_delete",
    ),
    path("storage/repos/", storage_repos.repos, name="repos"),
    path("storage/repos/<str:name>/", storage_repos.repo_detail, name="repo_detail"),
    path(
        "storage/repos/<str:name>/export/",
        storage_repos.repo_transfer,
        {"direction": "export"},
        name="repo_export",
    ),
    path(
        "storage/repos/<str:name>/import/",
        storage_repos.repo_transfer,
        {"direction": "import"},
        name="repo_import",
    ),
    path("storage/repos/<str:name>/delete/", storage_repos.repo_delete, name="repo_delete"),
    path("storage/repos/<str:name>/restore/", storage_repos.repo_restore, name="repo_restore"),
    # audit and jobs
    path("audit/", audit.audit, name="audit"),
    path("audit/export/", audit.audit_export, name="audit_export"),
    path("jobs/", jobs.jobs, name="jobs"),
    path("jobs/<str:job_id>/", jobs.job_detail, name="job_detail"),
    path("jobs/<str:job_id>/progress/", jobs.job_progress, name="job_progress"),
    path("jobs/<str:job_id>/outcome/", jobs.job_outcome, name="job_outcome"),
    path("jobs/<str:job_id>/abort/", jobs.job_abort, name="job_abort"),
    path("jobs/<str:job_id>/revert/", jobs.job_revert, name="job_revert"),
    path("jobs/<str:job_id>/download/", jobs.job_download, name="job_download"),
    path("jobs/<str:job_id>/items.csv", jobs.job_items_csv, name="job_items_csv"),
    # the organization
    path("organization/", organization.organization, name="organization"),
    path("organization/export/", organization.organization_export, name="organization_export"),
    # plugins (instance admins) and their macros (org owners and admins)
    path("plugins/", plugins.store, name="plugins"),
    path(
        "plugins/store/<str:plugin_id>/install/", plugins.store_install, name="plugin_store_install"
    ),
    path("plugins/installed/", plugins.installed, name="plugins_installed"),
    path("plugins/upload/", plugins.upload, name="plugin_upload"),
    path("plugins/git/", plugins.git, name="plugin_git"),
    path("plugins/installed/<str:plugin_id>/", plugins.plugin_detail, name="plugin_detail"),
    path(
        "plugins/installed/<str:plugin_id>/enable/",
        plugins.plugin_toggle,
        {"enable": True},
        name="plugin_enable",
    ),
    path(
        "plugins/installed/<str:plugin_id>/disable/",
        plugins.plugin_toggle,
        {"enable": False},
        name="plugin_disable",
    ),
    path("plugins/installed/<str:plugin_id>/update/", plugins.plugin_update, name="plugin_update"),
    path("plugins/installed/<str:plugin_id>/remove/", plugins.plugin_remove, name="plugin_remove"),
    path(
        "plugins/installed/<str:plugin_id>/download/",
        plugins.plugin_download,
        name="plugin_download",
    ),
    path("macros/", plugin_macros.macros, name="macros"),
    path("macros/<str:plugin_id>/<str:macro_id>/run/", plugin_macros.macro_run, name="macro_run"),
    path(
        "organization/two-factor/",
        organization.organization_two_factor,
        name="organization_two_factor",
    ),
    # the instance-admin area
    path("instance/operations/", instance.operations, name="operations"),
    path("instance/organizations/", instance.organizations, name="instance_organizations"),
    path("instance/users/", instance.users, name="instance_users"),
    path("instance/users/<str:user_id>/", instance.user_detail, name="instance_user"),
    path(
        "instance/users/<str:user_id>/deactivate/",
        instance.user_deactivate,
        name="instance_user_deactivate",
    ),
    path(
        "instance/users/<str:user_id>/reactivate/",
        instance.user_reactivate,
        name="instance_user_reactivate",
    ),
]
