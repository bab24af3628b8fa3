#!/usr/bin/env bash
# The packages, end to end, as a user gets them (built by scripts/package.sh):
#   1. the .deb needs nothing a desktop lacks (no compilers, no test tools) and
#      holds the app, the `reverie` program, a desktop entry and icons;
#   2. apt installs it; without a display the app says so in one sentence
#      and exits non-zero (no panic);
#   3. the installed app, started with its desktop entry's command under
#      Xvfb with a fresh HOME and an unlocked keyring, paints its window,
#      registers its tray icon, installs the systemd user timer for an
#      agent's nightly dream (running the installed `reverie dream --due`),
#      hands a second launch over to the first window, and quits from the
#      tray (tests/app/installed.py);
#   4. apt removes it and nothing of it is left on the system;
#   5. the AppImage starts the same way (--appimage-extract-and-run).
# Screenshots go to tests/artifacts/app/. Needs root (apt), and xvfb, dbus,
# gnome-keyring, xdotool, imagemagick, python3-dbus and python3-gi.
# Usage: tests/app/install.sh [BUNDLE_DIR]   (default: target/release/bundle)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bundle=${1:-$root/target/release/bundle}
fail() { echo "FAIL install test: $*"; exit 1; }

deb=$(ls "$bundle"/deb/*.deb 2>/dev/null | head -n1)
[[ -f $deb ]] || fail "no .deb in $bundle/deb; run scripts/package.sh first"
echo "package: $deb ($(du -h "$deb" | cut -f1))"

# 1. What the package asks for and what it holds.
depends=$(dpkg-deb -f "$deb" Depends)
echo "depends: $depends"
if grep -Eq -- '-dev\b|build-essential|gcc|clang|cargo|rustc|nodejs|npm|chromium|xvfb|webkit2gtk-driver|xdotool|imagemagick' <<<"$depends"; then
  fail "the package depends on a build or test tool: $depends"
fi
package=$(dpkg-deb -f "$deb" Package)
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed -E 's|^(\./)?|/|')
for needed in /usr/bin/reverie-app /usr/bin/reverie /usr/share/applications/Reverie.desktop; do
  grep -qx -- "$needed" <<<"$contents" || fail "the package has no $needed"
done
grep -q '^/usr/share/icons/hicolor/.*/apps/.*\.png$' <<<"$contents" || fail "the package has no icon"
echo "ok: $package holds the app, the reverie program, a desktop entry and icons, and needs no build or test tools"

# 2. Install with apt, as a user would.
if dpkg -s "$package" >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get remove --purge -y -qq "$package" >/dev/null
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null ||
  fail "apt could not install $deb"
removed=
remove_package() {
  if [[ -n $removed ]]; then return; fi
  removed=1
  DEBIAN_FRONTEND=noninteractive apt-get remove --purge -y -qq "$package" >/dev/null
}
trap remove_package EXIT
desktop=/usr/share/applications/Reverie.desktop
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$desktop" || fail "the desktop entry is not valid"
fi
exec_line=$(sed -n 's/^Exec=//p' "$desktop" | head -n1)
command=${exec_line%% %*}
[[ $(command -v "$command") == /usr/bin/* ]] || fail "the desktop entry runs '$exec_line', which is not on the PATH"
echo "ok: installed with apt; the desktop entry runs $(command -v "$command")"

# Without a display: one sentence on stderr, a non-zero status, no panic.
scratch=$(mktemp -d)
set +e
env -u DISPLAY -u WAYLAND_DISPLAY HOME="$scratch" "$command" >"$scratch/out" 2>"$scratch/err"
status=$?
set -e
lines=$(grep -c . "$scratch/err" || true)
[[ $status != 0 ]] || fail "with no display the app exited 0"
if grep -qi 'panick' "$scratch/err"; then fail "with no display the app panicked: $(cat "$scratch/err")"; fi
[[ $lines == 1 ]] || fail "with no display the app printed $lines lines: $(cat "$scratch/err")"
echo "ok: without a display it exits $status with: $(cat "$scratch/err")"
rm -rf "$scratch"

# 3. Start it as a user does, in a desktop-like session.
run_in_session() {
  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- bash -c '
    export XDG_DATA_HOME=$(mktemp -d)
    eval "$(printf %s ci-keyring-pass | gnome-keyring-daemon --unlock --components=secrets)"
    export GNOME_KEYRING_CONTROL
    unset XDG_DATA_HOME
    exec /usr/bin/python3 "$@"' bash "$@"
}
run_in_session "$root/tests/app/installed.py" deb --single-instance --cli /usr/bin/reverie -- "$command" ||
  fail "the installed app did not work as expected (see above)"

# 4. Remove it; nothing of it stays.
files=$(dpkg -L "$package" | while read -r f; do if [[ -f $f || -L $f ]]; then echo "$f"; fi; done)
remove_package
if dpkg -s "$package" >/dev/null 2>&1; then fail "$package is still installed after apt-get remove --purge"; fi
left=$(while read -r f; do if [[ -n $f && ( -e $f || -L $f ) ]]; then echo "$f"; fi; done <<<"$files")
[[ -z $left ]] || fail "left behind after removal: $left"
if pgrep -x reverie-app >/dev/null; then fail "a reverie-app process is still running after removal"; fi
echo "ok: removed with apt; none of its $(grep -c . <<<"$files") files is left"

# 5. The AppImage, started without FUSE.
appimage=$(ls "$bundle"/appimage/*.AppImage 2>/dev/null | head -n1 || true)
if [[ -f $appimage ]]; then
  chmod +x "$appimage"
  before=$(ls -d "${TMPDIR:-/tmp}"/appimage_extracted_* 2>/dev/null | sort || true)
  run_in_session "$root/tests/app/installed.py" appimage -- "$appimage" --appimage-extract-and-run ||
    fail "the AppImage did not work as expected (see above)"
  after=$(ls -d "${TMPDIR:-/tmp}"/appimage_extracted_* 2>/dev/null | sort || true)
  [[ $after == "$before" ]] || fail "the AppImage left its unpacked folder behind: $(comm -13 <(echo "$before") <(echo "$after"))"
  echo "ok: the AppImage removed its unpacked folder when the app quit"
else
  fail "no AppImage in $bundle/appimage; run scripts/package.sh"
fi
echo "PASS install test: the .deb installs, starts, hands over a second launch and removes cleanly; the AppImage starts"
