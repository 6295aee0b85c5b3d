#!/bin/sh
# One image, several roles: the first argument says which process this container runs.
#   web | worker | analysis | beat | migrate | manage <command…> | any other command
set -eu

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
  web)
    # Persistent DB connections (CONN_MAX_AGE) make threads cheaper than processes per request.
    exec gunicorn config.wsgi:application \
      --bind "0.0.0.0:${PORT:-8000}" \
      --workers "${WEB_CONCURRENCY:-2}" \
      --threads "${WEB_THREADS:-4}" \
      --access-logfile - \
      --timeout "${WEB_TIMEOUT:-60}" \
      "$@"
    ;;
  worker)
    # Short jobs: notification emails, invitations, the deadline sweep, upload ingest.
    exec celery -A config worker --queues "${CELERY_QUEUES:-default}" \
      --concurrency "${CELERY_CONCURRENCY:-2}" --hostname "default@%h" --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
  analysis)
    # Forensic analyses are memory-heavy: one at a time per container, and a fresh process per job so memory
    # returns to the system. Scale with more containers, not more concurrency.
    exec celery -A config worker --queues "${TRIBUNAL_ANALYSIS_QUEUE:-analysis}" \
      --concurrency "${CELERY_ANALYSIS_CONCURRENCY:-1}" \
      --max-tasks-per-child 1 --hostname "analysis@%h" --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
  beat)
    # Exactly one beat per deployment, or the periodic tasks run twice (the sweep is idempotent, the load is not).
    exec celery -A config beat --schedule "${TRIBUNAL_VAR_DIR}/celerybeat-schedule" \
      --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
  migrate)
    exec python manage.py migrate --noinput "$@"
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
