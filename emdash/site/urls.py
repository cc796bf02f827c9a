"""Public site routes. Included last by ``emdash.urls``, so every other route wins;
any path left over is looked up against the collections' URL patterns."""

from django.urls import path, re_path

from emdash.site import feeds, views

app_name = "site"

urlpatterns = [
    path("", views.home, name="home"),
    path("feed.xml", feeds.feed, name="feed"),
    path("sitemap.xml", feeds.sitemap, name="sitemap"),
    path("robots.txt", feeds.robots, name="robots"),
    re_path(r"^.+$", views.entry_page, name="entry"),
]
