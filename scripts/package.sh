#!/usr/bin/env bash
# Builds Reverie's installable packages for Linux with the Tauri bundler: a
# .deb and an AppImage, each holding the app (the web UI embedded in it), the
# `reverie` command-line program (which runs scheduled dreams while the app is
# closed), a desktop entry and the icons. Prints where they are and their sizes.
#
# Builds the UI and the release binaries once (`cargo build --release`, in the
# workspace's one target folder); the window and performance tests reuse that
# build. Needs what `scripts/setup.sh` installs.
# Usage: scripts/package.sh [deb|appimage|all]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
want=${1:-all}
log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

target=$(cargo metadata --format-version 1 --no-deps --locked | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
release=$target/release

log "Building the UI"
[[ -d ui/node_modules ]] || (cd ui && npm ci --no-audit --no-fund --loglevel=error)
(cd ui && npm run build --silent)

log "Building the app and the reverie program (release)"
start=$SECONDS
cargo build --release --locked -p reverie-app -p reverie-cli --features reverie-app/custom-protocol
echo "release build: $((SECONDS - start)) s"

# The Tauri CLI looks for its configuration beside the app crate's
# Cargo.toml; the one configuration stays at the repository root, and a copy
# with paths seen from src-tauri/app lives there only while bundling.
staged=src-tauri/app/tauri.conf.json
trap 'rm -f "$root/$staged"' EXIT
node - "$release" >"$staged" <<'JS'
const fs = require('fs')
const release = process.argv[2]
const conf = JSON.parse(fs.readFileSync('tauri.conf.json', 'utf8'))
const fromApp = (p) => '../../' + p
conf.build.frontendDist = fromApp(conf.build.frontendDist)
conf.bundle.icon = conf.bundle.icon.map(fromApp)
conf.bundle.targets = ['deb', 'appimage']
// The command-line program goes beside the app in both packages.
const cli = { '/usr/bin/reverie': `${release}/reverie` }
conf.bundle.linux = {
  deb: {
    files: cli,
    // Tauri adds WebKitGTK and GTK; the keychain needs D-Bus, and the tray
    // the panel library. Nothing here is a compiler or a test tool.
    depends: ['libdbus-1-3', 'libayatana-appindicator3-1'],
    recommends: ['gnome-keyring | kwalletmanager'],
    desktopTemplate: undefined,
  },
  appimage: { files: cli, bundleMediaFramework: false },
}
process.stdout.write(JSON.stringify(conf, null, 2))
JS

bundles=deb,appimage
case $want in
  deb) bundles=deb ;;
  appimage) bundles=appimage ;;
  all) ;;
  *) echo "usage: scripts/package.sh [deb|appimage|all]" >&2; exit 2 ;;
esac
log "Bundling: $bundles"
TAURI_APP_PATH=src-tauri/app TAURI_FRONTEND_PATH=ui \
  ui/node_modules/.bin/tauri bundle --bundles "$bundles" --ci

log "Packages"
found=0
for f in "$release"/bundle/deb/*.deb "$release"/bundle/appimage/*.AppImage; do
  [[ -f $f ]] || continue
  found=1
  printf '%-8s %s\n' "$(du -h "$f" | cut -f1)" "${f#"$root"/}"
done
[[ $found == 1 ]] || { echo "no package was built" >&2; exit 1; }
