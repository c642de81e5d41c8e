from django.urls import include, path

from adminapp.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("adminapp.web.urls")),
]
