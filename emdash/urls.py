from django.urls import include, path
from django.views.generic import RedirectView

from emdash.api import api

urlpatterns = [
    path("_emdash/api/", api.urls),
    path("_emdash/admin/", include("emdash.admin.urls")),
    # The site's catch-all below would answer it otherwise (APPEND_SLASH never runs).
    path("_emdash/admin", RedirectView.as_view(url="/_emdash/admin/", permanent=True)),
    # The public site routes any path, so it comes last.
    path("", include("emdash.site.urls")),
]
