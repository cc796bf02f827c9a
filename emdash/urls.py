from django.urls import include, path

from emdash.api import api

urlpatterns = [
    path("_emdash/api/", api.urls),
    # The public site routes any path, so it comes last.
    path("", include("emdash.site.urls")),
]
