#!/usr/bin/env bash
# Sets up everything and runs every test: Rust (engine, CLI, fake model
# server), the keychain against a real Secret Service, the UI's unit tests,
# the browser end-to-end tests, the real app window under Xvfb, and the
# .deb and AppImage built, installed, started and removed.
# This is what CI runs (.ci/run).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

export CARGO_TERM_COLOR=never
mkdir -p tests/artifacts
# The user's own dream timers, before any test runs: a test that schedules
# dreams must install them in a folder of its own (checked at the end).
user_timers=${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user
timers_before=$(ls "$user_timers" 2>/dev/null | grep '^reverie-dreams-' || true)
passed=0
failed=0
failures=()

step() {
  local name="$1"; shift
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    printf '\033[32m--> %s: ok (%ss)\033[0m\n' "$name" $((SECONDS - start))
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf '\033[31m--> %s: FAILED (%ss)\033[0m\n' "$name" $((SECONDS - start))
  fi
}

# Everything below runs inside one D-Bus session with an unlocked
# gnome-keyring, so the keychain tests use the real Secret Service.
in_keyring_session() {
  dbus-run-session -- bash -c '
    export XDG_DATA_HOME=$(mktemp -d)
    eval "$(printf %s ci-keyring-pass | gnome-keyring-daemon --unlock --components=secrets)"
    export GNOME_KEYRING_CONTROL
    export REVERIE_REQUIRE_KEYCHAIN=1
    "$@"' bash "$@"
}

# The UI first: the app embeds ui/dist when built with custom-protocol.
step "UI type check and build" bash -c 'cd ui && npm run build --silent'
step "Rust tests (engine, CLI, keychain)" in_keyring_session cargo test --workspace --exclude reverie-app --locked
# The release app and the reverie program, built once into the one target
# folder and bundled as a .deb and an AppImage; the app tests below reuse
# this build (Tauri compiles once, in release).
step "Packages (.deb and AppImage)" bash scripts/package.sh
# The same packages and features as that build, so no dependency compiles
# again (only the app's own test harness).
step "App unit tests" cargo test --release --locked -p reverie-app -p reverie-cli --features reverie-app/custom-protocol --bins
# In the test profile: the benches must build, and a release build of every
# dependency would double a cold CI run. `cargo bench` measures in release.
step "Benchmarks compile" cargo test --workspace --exclude reverie-app --benches --no-run --locked -q
step "Contract check against the official SDK types" bash tests/contract/check.sh
# A real local model: llama.cpp's server (built once per machine into a
# cache outside the repository) running SmolLM2-135M with a 4k context.
local_model() {
  local found
  found=$(bash tests/local-model/setup-llama-server.sh | tail -1) || return 1
  env ${found//LLAMA_/REVERIE_LLAMA_} REVERIE_REQUIRE_LOCAL_MODEL=1 \
    cargo test -p reverie-cli --test local_model --locked -- --nocapture
}
step "A real local model (llama.cpp server, SmolLM2-135M)" local_model
step "UI unit tests" bash -c 'cd ui && npm test --silent'
step "UI in a real browser (Playwright, Debian chromium)" in_keyring_session bash -c 'cd tests && npm run ui-e2e --silent'
step "The real app window under Xvfb (screenshot + WebDriver)" \
  env REVERIE_APP_BIN="$PWD/target/release/reverie-app" bash tests/app/window.sh --no-build
step "The installed packages (apt install, start, second launch, remove; AppImage)" bash tests/app/install.sh
untouched_timers() {
  local after
  after=$(ls "$user_timers" 2>/dev/null | grep '^reverie-dreams-' || true)
  [[ $after == "$timers_before" ]] && return 0
  echo "A test wrote dream timers into the user's own $user_timers:"
  comm -13 <(echo "$timers_before") <(echo "$after")
  return 1
}
step "No test touched the user's own dream timers" untouched_timers

printf '\n%s passed, %s failed\n' "$passed" "$failed"
if [ "$failed" -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}"
  exit 1
fi
