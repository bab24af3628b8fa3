#!/usr/bin/env bash
# Times the UI's heavy screens in the real app window with WebKit's
# JavaScript JIT on and off (JSC_useJIT=true / false), alternating in the
# same run, and prints the median per screen and mode with the ratio off/on:
# the Sessions list, the pass-rate charts, the largest session timeline, a
# large memory document in the editor (opening it and scrolling to its end),
# a rubric in the builder and Dreams. The data: the sample data (demo.load),
# a ~2,000-line, ~92 KB Markdown document written into the sample agent's
# memory store, and real graded runs made before the rounds by the CLI
# (`reverie run --rubric`) against the fake model server, which answers both
# the agent and the grader. Screens the data cannot show (Dream review: the
# sample data has no dream) are named and skipped; a preparation that fails
# stops the run with its reason. It asserts nothing about time (timings on a
# shared machine vary); it fails only if the data cannot be prepared or a
# screen never appears within 30 s.
# Runs on a virtual display with a session bus and an unlocked keyring; the
# details are in tests/app/screens.mjs.
# Usage: tests/app/screens.sh [BINARY]   (default: target/release/reverie-app,
# as scripts/package.sh builds it; SCREENS_ROUNDS=N rounds, default 3;
# SCREENS_CLI and FAKE_MODEL_SERVER_BIN, default target/release or
# target/debug `reverie` and `fake-model-server`)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ${1:-} != --inside ]]; then
  bin=${1:-$root/target/release/reverie-app}
  [[ -x $bin ]] || { echo "no app binary at $bin: bash scripts/package.sh builds it"; exit 1; }
  [[ -d $root/tests/node_modules/selenium-webdriver ]] || { echo "no selenium-webdriver: cd tests && npm ci"; exit 1; }
  built() { for p in release debug; do [[ -x $root/target/$p/$1 ]] && { echo "$root/target/$p/$1"; return; }; done; }
  cli=${SCREENS_CLI:-$(built reverie)}
  fake=${FAKE_MODEL_SERVER_BIN:-$(built fake-model-server)}
  [[ -n $cli && -x $cli ]] || { echo "no reverie CLI${cli:+ at $cli}: cargo build --release -p reverie-cli"; exit 1; }
  [[ -n $fake && -x $fake ]] || { echo "no fake model server${fake:+ at $fake}: cargo build -p reverie-fake-model"; exit 1; }
  export SCREENS_BIN=$(realpath "$bin") SCREENS_CLI=$(realpath "$cli") FAKE_MODEL_SERVER_BIN=$(realpath "$fake")
  exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- "$0" --inside
fi

# The app keeps its keys in the Secret Service: a throwaway keyring, unlocked.
XDG_DATA_HOME=$(mktemp -d)
export XDG_DATA_HOME
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
eval "$(printf %s screens-keyring-pass | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
echo "binary: $SCREENS_BIN ($(du -h "$SCREENS_BIN" | cut -f1)), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "data: $SCREENS_CLI, $FAKE_MODEL_SERVER_BIN"
cd "$root/tests"
node app/screens.mjs "$SCREENS_BIN"
