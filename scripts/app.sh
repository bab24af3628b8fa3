#!/usr/bin/env bash
# Sets up everything (first run only does real work) and starts the Reverie
# desktop app. Extra arguments go to the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "==> Building the UI"
(cd ui && npm run build --silent)
echo "==> Building and starting Reverie"
exec cargo run --release -p reverie-app --features custom-protocol -- "$@"
