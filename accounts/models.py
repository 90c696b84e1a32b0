import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import ALL_QUEUES_ROLES, STAFF_ROLES, Language, Role
from core.models import BilingualNameMixin


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("role", Role.ADMIN)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: staff of the service company or a client contact."""

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    # The internal number of the agent's desk phone: an incoming call ringing there shows the
    # caller's card on their pages (channels/telephony).
    phone_extension = models.CharField(_("phone extension"), max_length=20, blank=True, db_index=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.RU)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", validators=[validate_time_zone]
    )
    contact = models.OneToOneField(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="user",
        help_text=_("For client contacts: the contact card this login belongs to."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="client") | models.Q(contact__isnull=False),
                name="client_user_has_contact",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff(self) -> bool:  # used by Django internals; no Django admin site is installed
        return self.role == Role.ADMIN

    @property
    def is_agent_side(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def sees_all_queues(self) -> bool:
        return self.role in ALL_QUEUES_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Team(BilingualNameMixin):
    """A group of agents/engineers; tickets are routed to teams and agents see their teams' queues."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    email = models.EmailField(_("email"), blank=True)
    supervisor = models.ForeignKey(
        User, verbose_name=_("supervisor"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(User, verbose_name=_("members"), related_name="teams", blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name_ru"]


class LoginToken(models.Model):
    """A one-time emailed login link (portal magic link). Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"login link of {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"
