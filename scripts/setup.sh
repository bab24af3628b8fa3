#!/usr/bin/env bash
# Installs everything Reverie needs on Debian/Ubuntu: system packages (apt),
# the front end's npm packages and the Rust crates. Safe to run again: it
# only installs what is missing. Needs root or sudo for apt.
# Usage: scripts/setup.sh [--build-only]   (--build-only: what building the
# app needs, without the test tools: no browser, no virtual display, no
# WebDriver)
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=
[[ ${1:-} == --build-only ]] && build_only=1

APT_PACKAGES=(
  # Tauri v2 build
  build-essential pkg-config file curl libwebkit2gtk-4.1-dev libgtk-3-dev
  libayatana-appindicator3-dev librsvg2-dev libssl-dev libxdo-dev
  # The AppImage's image, where the Tauri bundler cannot fetch its tools
  squashfs-tools
  # Keychain (Secret Service) and a D-Bus session for it
  dbus dbus-x11 gnome-keyring libsecret-tools libdbus-1-dev keyutils
)
TEST_PACKAGES=(
  # The real window under Xvfb, screenshots, WebDriver, the tray test (tests/app/tray.py)
  xvfb xauth imagemagick xdotool webkit2gtk-driver python3-dbus python3-gi
  # The installed package's desktop entry check, and systemd-analyze for the
  # dream timer's unit check
  desktop-file-utils systemd
  # Browser tests
  chromium fonts-liberation
  # Python for the API contract check
  python3 python3-venv python3-pip
  # Builds the real local model server for the local-model tests (tests/local-model)
  cmake
)
[[ -n $build_only ]] || APT_PACKAGES+=("${TEST_PACKAGES[@]}")

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "Installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "Rust is not installed. Install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "Node.js 20+ and npm are not installed. Install them (e.g. apt-get install nodejs npm), then run this again." >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install.
if [ -f ui/package-lock.json ] && ! cmp -s ui/package-lock.json ui/node_modules/.installed-lock.json; then
  log "Installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-lock.json)
fi
if [ -z "$build_only" ] && [ -f tests/package-lock.json ]; then
  log "Installing the end-to-end tests' npm packages"
  (cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ -z "$build_only" ] && ! command -v tauri-driver >/dev/null; then
  log "Installing tauri-driver (WebDriver for the app window tests)"
  cargo install tauri-driver --version ^2 --locked -q
fi

log "Fetching Rust crates"
cargo fetch --locked -q
