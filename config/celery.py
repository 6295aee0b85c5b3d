"""The Celery application. Tasks take ids, never model instances, and are idempotent (see docs/architecture.md)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tribunal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
