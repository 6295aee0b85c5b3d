#!/usr/bin/env bash
# Set up (or bring up to date) the virtualenv in .venv and the system libraries Tribunal loads.
#
#   scripts/bootstrap.sh run    runtime packages (requirements.txt)       — used by `make run`
#   scripts/bootstrap.sh dev    runtime + test/lint tools (requirements-dev.txt) — used by `make test`
#
# Idempotent and fast when nothing changed: pip runs only when the requirements files' hash differs from the one
# recorded in .venv after the last successful install. System packages are installed with apt-get only when
# missing, and only as root; otherwise the missing ones are named and the script carries on.
set -euo pipefail

profile="${1:-dev}"
case "$profile" in
  run | dev) ;;
  *) echo "usage: $0 [run|dev]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

# libmagic1: python-magic's content sniffing; pango: WeasyPrint's PDF rendering. Both are loaded at import time.
system_packages=(libmagic1 libpango-1.0-0 libpangoft2-1.0-0)
# Debian's Chromium drives the Playwright browser tests; only fetched once the suite has some.
if [[ "$profile" == dev ]] && grep -rqs --include='*.py' "mark.browser" tests; then
  system_packages+=(chromium)
fi

missing=()
for package in "${system_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "bootstrap: WARNING: missing system packages (install them as root): ${missing[*]}" >&2
  fi
fi

python_bin="${PYTHON:-}"
if [[ -z "$python_bin" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      python_bin="$candidate"
      break
    fi
  done
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  [[ -n "$python_bin" ]] || { echo "bootstrap: Python 3.11 or newer is required" >&2; exit 1; }
  echo "bootstrap: creating $VENV with $python_bin"
  "$python_bin" -m venv "$VENV"
fi

digest_of() { cat "$@" <("$VENV/bin/python" -V) | sha256sum | cut -d' ' -f1; }
dev_digest="$(digest_of requirements.txt requirements-dev.txt requirements-nodeps.txt)"
run_digest="$(digest_of requirements.txt requirements-nodeps.txt)"
# A dev install includes everything a run install needs.
if [[ -f "$VENV/.tribunal-dev.sha256" && "$(cat "$VENV/.tribunal-dev.sha256")" == "$dev_digest" ]]; then
  exit 0
fi
if [[ "$profile" == run && -f "$VENV/.tribunal-run.sha256" && "$(cat "$VENV/.tribunal-run.sha256")" == "$run_digest" ]]; then
  exit 0
fi

if [[ "$profile" == dev ]]; then
  install_file=requirements-dev.txt digest="$dev_digest"
else
  install_file=requirements.txt digest="$run_digest"
fi
echo "bootstrap: installing $install_file into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$install_file"
# Installed without dependencies on purpose (see the comment in the file).
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
echo "$digest" >"$VENV/.tribunal-$profile.sha256"
