#!/usr/bin/env bash
# The real app window, end to end: builds the UI and the app (debug, with the
# UI embedded), starts it on a virtual X display with its own session bus and
# an empty data folder, waits for the window, and checks that
#   1. the app opened its store (reverie.db) in the data folder it was given,
#      and a screenshot of the window is not blank (many colours, not uniform),
#   2. over WebDriver (tauri-driver + WebKitWebDriver) the sidebar lists every
#      screen, Agents is shown, the UI knows it runs inside the app, and
#      Settings shows the data folder the engine reports through api_call.
#   3. the tray menu works when a desktop panel clicks it (tests/app/tray.py:
#      Show window, Pause/Resume, Dream now against the fake model server, Quit).
#   4. a dream the OS schedule ran while the app was closed (`reverie dream
#      --due`) is told in a desktop notification at the next start, once
#      (tests/app/morning.py).
# Screenshots go to tests/artifacts/app/. Prints one PASS or FAIL line.
#
# Needs: xvfb xauth dbus imagemagick xdotool webkit2gtk-driver python3-dbus
# python3-gi, node + `npm ci` in tests/, and `cargo install tauri-driver
# --version ^2 --locked`.
# Usage: tests/app/window.sh [--no-build]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
artifacts=$root/tests/artifacts/app
# The release build (scripts/package.sh, scripts/app.sh) when there is one:
# CI builds the app once and every app test uses that build.
bin=${REVERIE_APP_BIN:-}
if [[ -z $bin ]]; then
  bin=$root/target/debug/reverie-app
  [[ -x $root/target/release/reverie-app && ${1:-} == --no-build ]] && bin=$root/target/release/reverie-app
fi

fail() {
  echo "FAIL window test: $*"
  exit 1
}

if [[ ${1:-} != --inside ]]; then
  if [[ ${1:-} != --no-build ]]; then
    (cd "$root/ui" && { [[ -d node_modules ]] || npm ci --no-audit --no-fund; } && npm run build) ||
      fail "the UI did not build"
    cargo build --manifest-path "$root/Cargo.toml" -p reverie-app --features custom-protocol ||
      fail "the app did not build"
    # The tray test seeds its data with the CLI and dreams against the fake model server.
    cargo build --manifest-path "$root/Cargo.toml" -p reverie-cli -p reverie-fake-model ||
      fail "the CLI or the fake model server did not build"
  fi
  [[ -x $bin ]] || fail "no app binary at $bin; build it or drop --no-build"
  for tool in reverie fake-model-server; do
    [[ -x $root/target/debug/$tool ]] ||
      fail "no $root/target/debug/$tool; cargo build -p reverie-cli -p reverie-fake-model, or drop --no-build"
  done
  [[ -d $root/tests/node_modules ]] || (cd "$root/tests" && npm ci --no-audit --no-fund)
  export REVERIE_APP_BIN=$bin
  exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- "$0" --inside
fi

# --- inside the virtual display and session bus ---
mkdir -p "$artifacts"
scratch=$(mktemp -d)
app_pid=
cleanup() {
  if [[ -n $app_pid ]]; then
    kill "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
# A fresh data folder and WebKit profile: the test never sees a user's data.
export REVERIE_DATA_DIR=$scratch/data XDG_DATA_HOME=$scratch/xdg-data \
  XDG_CACHE_HOME=$scratch/xdg-cache XDG_CONFIG_HOME=$scratch/xdg-config

"$bin" >"$scratch/app.log" 2>&1 &
app_pid=$!

window=
for _ in $(seq 1 300); do
  window=$(xdotool search --onlyvisible --name '^Reverie$' 2>/dev/null | head -n1) && [[ -n $window ]] && break
  kill -0 "$app_pid" 2>/dev/null || fail "the app exited before showing a window: $(tail -n5 "$scratch/app.log")"
  sleep 0.1
done
[[ -n $window ]] || fail "no visible window titled Reverie after 30 s"
# The store opens in the app's setup step, which may finish after the window maps.
for _ in $(seq 1 100); do [[ -f $REVERIE_DATA_DIR/reverie.db ]] && break; sleep 0.1; done
[[ -f $REVERIE_DATA_DIR/reverie.db ]] ||
  fail "the app did not open its store in the data folder: $(tail -n5 "$scratch/app.log")"

# The webview paints after the window maps (seconds later on a loaded machine):
# poll until the window's own pixels are not blank. A rendered shell has about
# a thousand colours and a std-dev near 0.05; an empty page has one colour.
non_blank() { awk -v c="$1" -v d="$2" 'BEGIN { exit !(c >= 64 && d >= 0.02) }'; }
shot=$artifacts/window.png
colours=0 deviation=0
for _ in $(seq 1 120); do
  import -window "$window" "$shot"
  read -r colours deviation < <(convert "$shot" -format '%k %[fx:standard_deviation]\n' info:)
  non_blank "$colours" "$deviation" && break
  sleep 0.25
done
non_blank "$colours" "$deviation" ||
  fail "the screenshot looks blank ($colours colours, std-dev $deviation): $shot"
# Painting is progressive: keep capturing until two frames half a second
# apart are identical, so the saved screenshot shows the settled UI.
for _ in $(seq 1 30); do
  sleep 0.5
  import -window "$window" "$scratch/next.png"
  same=$(compare -metric AE "$shot" "$scratch/next.png" null: 2>&1 || true)
  mv "$scratch/next.png" "$shot"
  [[ $same == 0 ]] && break
done
read -r colours deviation < <(convert "$shot" -format '%k %[fx:standard_deviation]\n' info:)
non_blank "$colours" "$deviation" || fail "the settled window looks blank ($colours colours, std-dev $deviation): $shot"
echo "window $window visible; screenshot $shot has $colours colours, std-dev $deviation"

kill "$app_pid" 2>/dev/null || true
wait "$app_pid" 2>/dev/null || true
app_pid=

node "$root/tests/app/webdriver.mjs" "$bin" || fail "the UI did not render as expected (see above)"
# Debian's interpreter: python3-dbus and python3-gi install for it only.
/usr/bin/python3 "$root/tests/app/tray.py" "$bin" || fail "the tray menu did not work as expected (see above)"
/usr/bin/python3 "$root/tests/app/morning.py" "$bin" || fail "the morning-after notification did not work as expected (see above)"
echo "PASS window test: the window shows the Reverie UI ($shot)"
