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

# The app embeds ui/dist, so a fresh UI build recompiles the app crate:
# build the UI only when a source is newer than the last build.
[[ -d ui/node_modules ]] || (cd ui && npm ci --no-audit --no-fund --loglevel=error)
if [[ ! -f ui/dist/index.html ]] ||
  [[ -n $(find ui/src ui/public ui/index.html ui/package-lock.json ui/vite.config.ts -newer ui/dist/index.html -print -quit) ]]; then
  log "Building the UI"
  (cd ui && npm run build --silent)
else
  log "The UI is built and up to date"
fi

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
    // Tauri adds WebKitGTK, GTK and the tray's panel library; the keychain
    // needs D-Bus. Nothing here is a compiler or a test tool.
    depends: ['libdbus-1-3'],
    recommends: ['gnome-keyring | kwalletmanager'],
    desktopTemplate: undefined,
  },
  appimage: { files: cli, bundleMediaFramework: false },
}
process.stdout.write(JSON.stringify(conf, null, 2))
JS

case $want in
  deb | appimage | all) ;;
  *) echo "usage: scripts/package.sh [deb|appimage|all]" >&2; exit 2 ;;
esac
bundle() {
  TAURI_APP_PATH=src-tauri/app TAURI_FRONTEND_PATH=ui \
    ui/node_modules/.bin/tauri bundle --bundles "$1" --ci
}

if [[ $want != appimage ]]; then
  log "Bundling the .deb"
  bundle deb
fi

# The Tauri bundler makes an AppImage with linuxdeploy, which it downloads
# from GitHub on first use. Where that cannot be reached (an offline build
# machine), the same pieces are put together here instead: the app folder
# (AppRun, desktop entry, icons, both programs) as a SquashFS image behind
# Reverie's own small AppImage runtime (src-tauri/appimage-runtime). That
# AppImage uses the system's WebKitGTK rather than carrying its own.
assemble_appimage() {
  local out=$release/bundle/appimage scratch deb appdir name image
  deb=$(ls "$release"/bundle/deb/*.deb 2>/dev/null | head -n1)
  [[ -f $deb ]] || bundle deb
  deb=$(ls "$release"/bundle/deb/*.deb | head -n1)
  cargo build --release --locked -p reverie-appimage-runtime
  scratch=$(mktemp -d)
  dpkg-deb -x "$deb" "$scratch/deb"
  appdir=$scratch/Reverie.AppDir
  mkdir -p "$appdir"
  cp -a "$scratch/deb/usr" "$appdir/usr"
  cp "$scratch/deb/usr/share/applications/Reverie.desktop" "$appdir/Reverie.desktop"
  icon=$(sed -n 's/^Icon=//p' "$appdir/Reverie.desktop" | head -n1)
  cp "$(ls "$appdir"/usr/share/icons/hicolor/*/apps/"$icon".png | sort -V | tail -n1)" "$appdir/$icon.png"
  ln -s "$icon.png" "$appdir/.DirIcon"
  cat >"$appdir/AppRun" <<'SH'
#!/bin/sh
# Starts Reverie from the unpacked AppImage; its `reverie` program is on PATH.
HERE=$(dirname "$(readlink -f "$0")")
export PATH="$HERE/usr/bin:$PATH"
exec "$HERE/usr/bin/reverie-app" "$@"
SH
  chmod 755 "$appdir/AppRun"
  mksquashfs "$appdir" "$scratch/image.squashfs" -root-owned -noappend -comp gzip -quiet >/dev/null
  name=$(basename "$deb" .deb).AppImage
  mkdir -p "$out"
  image=$out/$name
  cat "$target/release/appimage-runtime" "$scratch/image.squashfs" >"$image"
  # The AppImage type-2 mark, in the ELF header's padding.
  printf 'AI\002' | dd of="$image" bs=1 seek=8 conv=notrunc status=none
  chmod 755 "$image"
  rm -rf "$scratch"
}

if [[ $want != deb ]]; then
  log "Bundling the AppImage"
  rm -rf "$release"/bundle/appimage
  if ! bundle appimage; then
    echo "The Tauri bundler could not make the AppImage (its linuxdeploy tools are downloaded from GitHub); assembling it from the same pieces."
    assemble_appimage
  fi
fi

log "Packages"
found=0
for f in "$release"/bundle/deb/*.deb "$release"/bundle/appimage/*.AppImage; do
  [[ -f $f ]] || continue
  found=1
  printf '%-8s %s\n' "$(du -h "$f" | cut -f1)" "${f#"$root"/}"
done
[[ $found == 1 ]] || { echo "no package was built" >&2; exit 1; }
