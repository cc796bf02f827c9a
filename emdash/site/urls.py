"""Public site routes. Included last by ``emdash.urls``, so every other route wins;
any path left over is looked up against the collections' URL patterns."""

from django.urls import path, re_path

from emdash.site import views

app_name = "site"

urlpatterns = [
    path("", views.home, name="home"),
    re_path(r"^.+$", views.entry_page, name="entry"),
]
