"""Admin routes, mounted at /_emdash/admin/ by ``emdash.urls``. The sign-in,
setup and invite paths are contracts (``emdash.accounts.links.PATHS``)."""

from django.urls import path

from emdash.admin.views import (
    account,
    audit,
    auth,
    content,
    dashboard,
    errors,
    roles,
    settings,
    users,
)

app_name = "emdash_admin"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    # Signing in and out; first-run setup; accepting an invite.
    path("login/", auth.login, name="login"),
    path("login/email/", auth.request_link, name="login_email"),
    path("login/link/<str:token>/", auth.sign_in_link, name="login_link"),
    path("logout/", auth.logout, name="logout"),
    path("setup/<str:token>/", auth.setup, name="setup"),
    path("invite/<str:token>/", auth.invite, name="invite"),
    # The signed-in person's own account.
    path("account/", account.account, name="account"),
    path("account/profile/", account.update_profile, name="account_profile"),
    path(
        "account/passkeys/<int:passkey_id>/rename/",
        account.rename_passkey,
        name="passkey_rename",
    ),
    path(
        "account/passkeys/<int:passkey_id>/remove/",
        account.remove_passkey,
        name="passkey_remove",
    ),
    path("account/tokens/", account.create_token, name="token_create"),
    path(
        "account/tokens/<str:token_id>/revoke/",
        account.revoke_token,
        name="token_revoke",
    ),
    path(
        "account/sign-out-everywhere/",
        account.sign_out_everywhere,
        name="sign_out_everywhere",
    ),
    # People.
    path("users/", users.user_list, name="users"),
    path("users/invite/", users.invite, name="user_invite"),
    path("users/<int:user_id>/role/", users.change_role, name="user_role"),
    path("users/<int:user_id>/status/", users.change_status, name="user_status"),
    path(
        "users/invites/<str:invite_id>/resend/",
        users.resend_invite,
        name="invite_resend",
    ),
    path(
        "users/invites/<str:invite_id>/revoke/",
        users.revoke_invite,
        name="invite_revoke",
    ),
    path("roles/", roles.role_list, name="roles"),
    path("roles/<slug:slug>/", roles.role_edit, name="role"),
    path("roles/<slug:slug>/delete/", roles.role_delete, name="role_delete"),
    path("audit/", audit.audit_log, name="audit"),
    path("settings/", settings.settings_page, name="settings"),
    # Content.
    path("content/", content.collection_list, name="collections"),
    path("content/<slug:collection>/", content.entry_list, name="entries"),
    path("content/<slug:collection>/<str:entry_id>/", content.entry, name="entry"),
    path(
        "content/<slug:collection>/<str:entry_id>/publish/",
        content.publish,
        name="entry_publish",
    ),
    path(
        "content/<slug:collection>/<str:entry_id>/unpublish/",
        content.unpublish,
        name="entry_unpublish",
    ),
    # Last: any other address under the admin.
    path("<path:rest>", errors.not_found, name="not_found"),
]
