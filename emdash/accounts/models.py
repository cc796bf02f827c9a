from django.contrib.auth.models import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone

from emdash.core.ids import new_id
from emdash.core.permissions import Role


class UserManager(BaseUserManager["User"]):
    def create_user(
        self, email: str, *, display_name: str = "", role: str = "subscriber"
    ) -> "User":
        Role.from_slug(role)
        user = self.model(
            email=self.normalize_email(email), display_name=display_name, role=role
        )
        user.set_unusable_password()
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person. EmDash has no passwords: the password column Django's base class
    carries always holds an unusable marker."""

    ROLE_CHOICES = [(role.slug, role.slug.title()) for role in Role]

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=32, choices=ROLE_CHOICES, default="subscriber")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    objects = UserManager()

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def role_level(self) -> Role:
        return Role.from_slug(self.role)


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
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} challenge {self.id}"
