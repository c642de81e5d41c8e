from django.urls import path

from adminapp.web import views

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
