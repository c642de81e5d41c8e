from django.urls import path

from adminapp.web import views, views_spaces

app_name = "web"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("org/switch/", views.switch_org, name="switch_org"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<str:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("members/", views.members, name="members"),
    path("members/<str:user_id>/role/", views.member_role, name="member_role"),
    path("members/<str:user_id>/remove/", views.member_remove, name="member_remove"),
    path("spaces/", views_spaces.spaces, name="spaces"),
    path("spaces/<str:space_id>/", views_spaces.space_detail, name="space_detail"),
    path("spaces/<str:space_id>/row/", views_spaces.space_row, name="space_row"),
    path("spaces/<str:space_id>/edit/", views_spaces.space_edit, name="space_edit"),
    path("spaces/<str:space_id>/delete/", views_spaces.space_delete, name="space_delete"),
    path("spaces/<str:space_id>/members/", views_spaces.space_member_add, name="space_member_add"),
    path(
        "spaces/<str:space_id>/members/<str:user_id>/role/",
        views_spaces.space_member_role,
        name="space_member_role",
    ),
    path(
        "spaces/<str:space_id>/members/<str:user_id>/remove/",
        views_spaces.space_member_remove,
        name="space_member_remove",
    ),
    path(
        "spaces/<str:space_id>/tokens/", views_spaces.space_token_create, name="space_token_create"
    ),
    path(
        "spaces/<str:space_id>/tokens/delete/",
        views_spaces.space_tokens_delete,
        name="space_tokens_delete",
    ),
    path(
        "spaces/<str:space_id>/tokens/<str:token_id>/deactivate/",
        views_spaces.space_token_deactivate,
        name="space_token_deactivate",
    ),
    path(
        "spaces/<str:space_id>/tokens/<str:token_id>/delete/",
        views_spaces.space_token_delete,
        name="space_token_delete",
    ),
    path("roles/", views_spaces.roles, name="roles"),
    path("roles/<str:role_id>/edit/", views_spaces.role_edit, name="role_edit"),
    path("roles/<str:role_id>/delete/", views_spaces.role_delete, name="role_delete"),
    path("audit/", views.audit, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<str:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<str:job_id>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<str:job_id>/outcome/", views.job_outcome, name="job_outcome"),
    path("jobs/<str:job_id>/abort/", views.job_abort, name="job_abort"),
    path("jobs/<str:job_id>/download/", views.job_download, name="job_download"),
    path("jobs/<str:job_id>/items.csv", views.job_items_csv, name="job_items_csv"),
]
