"""Users. Roles are per case (disputes.Participant); the only global role is the registrar (institution staff)."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class TribunalUserManager(UserManager["User"]):
    def _create_user_object(self, username: Any, email: Any, password: Any, **extra_fields: Any) -> User:
        email = self.normalize_email(email)
        user = self.model(email=email, **extra_fields)
        user.password = ""
        if password:
            user.set_password(password)
        return user

    def create_user(self, email: str | None = None, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str | None = None, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_registrar", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    class EmailFrequency(models.TextChoices):
        IMMEDIATE = "immediate", "Immediately"
        DAILY = "daily", "Daily digest"

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    is_registrar = models.BooleanField(
        default=False, help_text="Institution case administrator: screens filings and tracks every case's deadlines."
    )
    on_arbitrator_roster = models.BooleanField(default=False, help_text="May be nominated or appointed as arbitrator.")
    affiliations = models.TextField(
        blank=True, help_text="Organisations you work or worked for, advise or hold interests in; one per line."
    )
    time_zone = models.CharField(max_length=64, default="Europe/London")
    email_frequency = models.CharField(max_length=16, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATE)
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = TribunalUserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def affiliation_list(self) -> list[str]:
        return [line.strip() for line in self.affiliations.splitlines() if line.strip()]
