import hmac
import secrets

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone

from emdash.core.ids import new_id


def new_passkey_handle() -> bytes:
    """The opaque WebAuthn user handle: random, so it reveals nothing about the user."""
    return secrets.token_bytes(32)


def new_session_salt() -> str:
    return secrets.token_hex(16)


class UserManager(BaseUserManager["User"]):
    def create_user(
        self, email: str, *, display_name: str = "", role: str = "subscriber"
    ) -> "User":
        user = self.model(
            email=self.normalize_email(email), display_name=display_name, role=role
        )
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person. EmDash has no passwords: the password column of Django's base
    class is removed, and people sign in with passkeys or one-time links."""

    password = None  # type: ignore[assignment]

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    # A built-in role (``emdash.core.permissions.Role``) or a CustomRole's slug;
    # accounts.roles resolves either to permissions.
    role = models.CharField(max_length=32, default="subscriber")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    passkey_handle = models.BinaryField(max_length=64, default=new_passkey_handle)
    # Mixed into the session hash: replacing it signs the user out everywhere.
    session_salt = models.CharField(max_length=32, default=new_session_salt)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    objects = UserManager()

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_session_auth_hash(self) -> str:
        """What Django stores in the session and compares on every request; without
        a password it is keyed on ``session_salt``, which sign-out-everywhere renews."""
        from django.conf import settings

        return hmac.new(
            settings.SECRET_KEY.encode(),
            f"emdash.session:{self.pk}:{self.session_salt}".encode(),
            "sha256",
        ).hexdigest()

    def get_session_auth_fallback_hash(self):  # type: ignore[no-untyped-def]
        # Sessions made under a rotated-out secret key are not honoured.
        return iter(())


class CustomRole(models.Model):
    """A named bundle of permissions an administrator defines beside the built-in
    roles. Its slug may not be a built-in role's."""

    slug = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    permissions = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class AccessLink(models.Model):
    """A one-time link: first-run setup, an invite, an emailed sign-in (magic) link
    or an operator's recovery link. Only the SHA-256 of its secret is stored; the
    URL also carries a signature and timestamp (``accounts.links``)."""

    SETUP = "setup"
    INVITE = "invite"
    MAGIC = "magic"
    RECOVERY = "recovery"
    PURPOSE_CHOICES = [
        (SETUP, "First-run setup"),
        (INVITE, "Invite"),
        (MAGIC, "Emailed sign-in link"),
        (RECOVERY, "Operator sign-in link"),
    ]

    id = models.CharField(
        primary_key=True, max_length=26, default=new_id, editable=False
    )
    purpose = models.CharField(max_length=16, choices=PURPOSE_CHOICES)
    secret_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True)
    # The role an invite grants.
    role = models.CharField(max_length=32, blank=True)
    # Who a sign-in link signs in; who an accepted invite created.
    user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_links",
    )
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["purpose", "email"])]

    def __str__(self) -> str:
        return f"{self.purpose} link {self.id}"


class ApiToken(models.Model):
    """A bearer token. Only the SHA-256 of the secret is stored (unkeyed, so tokens
    survive a secret-key rotation); the plaintext is shown once at creation."""

    id = models.CharField(
        primary_key=True, max_length=26, default=new_id, editable=False
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    scopes = models.JSONField(default=list)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Passkey(models.Model):
    """A WebAuthn credential. A user may hold several; the authenticator keeps the
    private key, we keep the public key and the last signature counter it reported."""

    # base64url of the raw credential id (at most 1023 bytes, so 1364 characters).
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    # The user handle the authenticator stored with the credential; discoverable
    # sign-in hands it back and it must match.
    user_handle = models.BinaryField(max_length=64)
    name = models.CharField(max_length=100)
    transports = models.JSONField(default=list)
    aaguid = models.CharField(max_length=36, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class WebAuthnChallenge(models.Model):
    """A ceremony in flight. Kept in the database so any process can finish a
    ceremony another began; only the SHA-256 of the challenge is stored."""

    PURPOSE_CHOICES = [("register", "Register"), ("authenticate", "Authenticate")]

    id = models.CharField(
        primary_key=True, max_length=26, default=new_id, editable=False
    )
    challenge_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=16, choices=PURPOSE_CHOICES)
    user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webauthn_challenges",
    )
    user_handle = models.BinaryField(max_length=64, null=True, blank=True)
    # A registration for someone who has no account yet (setup, invite): the link
    # being redeemed and what the person typed, applied when the ceremony finishes.
    link = models.ForeignKey(
        AccessLink,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="challenges",
    )
    pending = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} challenge {self.id}"
