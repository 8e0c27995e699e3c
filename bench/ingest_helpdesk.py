"""django-helpdesk, for comparison: its own virtualenv under /tmp, SQLite WAL, uvicorn.

Nothing of it lives in this repository: the virtualenv is installed from PyPI on first use
(pinned versions) and the tiny Django project is written into the run's temporary folder.
Tickets are created through its REST API (`POST /api/tickets/`) as a staff user made with
its manage.py, authenticated with a DRF token (a password check per request would measure
the password hash, not the ticket intake).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ingest_procs import run, uvicorn_command

DEFAULT_VENV = "/tmp/vt-helpdesk-venv"  # noqa: S108 - a cache of PyPI packages, not secrets
VENV = Path(os.environ.get("VENTANILLA_BENCH_HELPDESK_VENV", DEFAULT_VENV))
PINS = [
    "django-helpdesk==2.6.1",
    "Django==5.2.19",
    "djangorestframework==3.18.3",
    "uvicorn==0.54.0",
]
PASSWORD = "bench-helpdesk-password"  # noqa: S105 - a throwaway local user

SETTINGS = """
SECRET_KEY = "bench-only-not-secret-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SITE_ID = 1
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework",
    "rest_framework.authtoken", "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "hdbench.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3", "NAME": DB_PATH,
    "OPTIONS": {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE", "timeout": 30,
    },
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "/static/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HELPDESK_API_ENABLED = True
HELPDESK_TEAMS_MODE_ENABLED = False
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [
    "rest_framework.authentication.TokenAuthentication",
]}
LOGGING = {"version": 1, "disable_existing_loggers": True}
"""

URLS = """
from django.urls import include, path
urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""

ASGI = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
from django.core.asgi import get_asgi_application
application = get_asgi_application()
"""

MANAGE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""

SETUP = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from helpdesk.models import Queue
user = get_user_model().objects.get(username="bench")
queue = Queue.objects.create(title="Bench", slug="bench", allow_public_submission=True)
print("QUEUE", queue.id, "TOKEN", Token.objects.get_or_create(user=user)[0].key)
"""


def ensure_venv() -> Path:
    """The helpdesk virtualenv's python, installing it on first use; raises with the reason."""
    python = VENV / "bin" / "python"
    if python.exists() and _has_pins(python):
        return python
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=120)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *PINS],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError("pip install django-helpdesk failed: " + done.stderr.strip()[-300:])
    return python


def _has_pins(python: Path) -> bool:
    done = subprocess.run(
        [str(python), "-m", "pip", "freeze"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    have = {line.lower() for line in done.stdout.splitlines()}
    return all(pin.lower() in have for pin in PINS)


def prepare(work: Path) -> tuple[Path, list[str], int, str]:
    """Write the project, migrate a fresh SQLite file, create the user, a queue and a token.

    Returns (python, server command with {port}, queue id, token).
    """
    python = ensure_venv()
    project = work / "helpdesk"
    pkg = project / "hdbench"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    db = project / "db.sqlite3"
    (pkg / "settings.py").write_text(f"DB_PATH = {str(db)!r}\n" + SETTINGS)
    (pkg / "urls.py").write_text(URLS)
    (pkg / "asgi.py").write_text(ASGI)
    (project / "manage.py").write_text(MANAGE)
    manage = [str(python), "manage.py"]
    run([*manage, "migrate", "--noinput"], {}, cwd=project)
    env = {"DJANGO_SUPERUSER_PASSWORD": PASSWORD}
    run(
        [
            *manage,
            "createsuperuser",
            "--noinput",
            "--username",
            "bench",
            "--email",
            "bench@example.test",
        ],
        env,
        cwd=project,
    )
    out = run([*manage, "shell", "-c", SETUP], {}, cwd=project)
    found = re.search(r"QUEUE (\d+) TOKEN (\w+)", out)
    if found is None:
        raise RuntimeError("could not create the helpdesk queue and token: " + out[-300:])
    command = uvicorn_command("hdbench.asgi:application", project, python)
    return python, command, int(found.group(1)), found.group(2)
