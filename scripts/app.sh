#!/usr/bin/env bash
# Reverie from source: the first run installs what building needs (no test
# tools), builds the UI and the release app once, then starts it; later runs
# start the built app at once, without recompiling. After pulling changes,
# `scripts/app.sh --rebuild` builds again. Other arguments go to the app.
# (For an installable package instead, see scripts/package.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."
app=target/release/reverie-app
if [[ ${1:-} == --rebuild || ! -x $app || ! -x target/release/reverie ]]; then
  [[ ${1:-} == --rebuild ]] && shift
  bash scripts/setup.sh --build-only
  echo "==> Building the UI"
  (cd ui && npm run build --silent)
  echo "==> Building Reverie (release; the first build takes several minutes)"
  cargo build --release --locked -p reverie-app -p reverie-cli --features reverie-app/custom-protocol
fi
exec "$app" "$@"
