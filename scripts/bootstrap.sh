# Sourced by scripts/run and scripts/test: a venv with the pinned requirements.
# Reinstalls only when a requirements file changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
REQS="${1:-requirements/dev.txt}"
if [ ! -x .venv/bin/python ]; then
  echo "[bootstrap] creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(cat requirements/*.txt | sha256sum | cut -c1-16)-$(basename "$REQS")"
if [ ! -f "$stamp" ]; then
  echo "[bootstrap] installing $REQS"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$REQS"
  touch "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
