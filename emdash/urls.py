from django.urls import include, path

urlpatterns = [
    path("", include("emdash.site.urls")),
]
