from django.urls import include, path

from adminapp.api.api import api
from adminapp.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("", include("adminapp.web.urls")),
]
