#!/usr/bin/env bash
# Regenerates src-tauri/app/startup-order.txt: the functions the app runs
# while it starts and then sits idle, in the order they first ran.
#
# Why: the kernel maps a program's code in 64 KB blocks around each page it
# runs, and the ~3 MB of code Reverie runs at start is spread over ~200
# blocks of its 22 MB, so an idle app held ~13 MB of its own code. The
# release link (src-tauri/app/build.rs) lays these functions out together
# at the front instead, and the idle app holds ~3 MB (tests/app/perf.sh).
#
# The list names functions as the linker sees them, which changes when Rust
# or a dependency is updated: names that no longer exist are skipped, so a
# stale list costs memory, never correctness. Run this again after updating
# Rust or Cargo.lock, when perf.sh shows reverie-app's own code growing.
#
# How: builds the release app exactly as scripts/package.sh does, keeping
# its symbol names, then runs it under valgrind's callgrind on a virtual
# display twice, each with a fresh data folder (a first launch, and a launch
# with an agent set up), and lists every function of the program that ran.
# Needs valgrind, xvfb, xdotool, dbus and gnome-keyring.
# Usage: scripts/startup-order.sh [SECONDS_IDLE]   (default: 20)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
idle=${1:-20}
out=src-tauri/app/startup-order.txt

if [[ ${1:-} != --inside ]]; then
  for tool in valgrind callgrind_control xvfb-run xdotool dbus-run-session gnome-keyring-daemon nm python3; do
    command -v "$tool" >/dev/null || { echo "startup-order needs $tool (apt install valgrind xvfb xdotool dbus gnome-keyring binutils python3)"; exit 1; }
  done
  target=$(cargo metadata --format-version 1 --no-deps --locked | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  # The package build, with the program's symbol names kept for this run.
  (cd ui && { [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent)
  REVERIE_KEEP_SYMBOLS=1 cargo build --release --locked -p reverie-app -p reverie-cli --features reverie-app/custom-protocol
  export ORDER_APP=$target/release/reverie-app ORDER_CLI=$target/release/reverie ORDER_IDLE=$idle
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  export ORDER_WORK=$work
  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- "$0" --inside
  # Every function that ran, first run first, each once, and only names the
  # program defines (callgrind also lists inlined copies and other libraries).
  nm --defined-only "$ORDER_APP" | awk 'NF == 3 && $2 ~ /[tTwW]/ { print $3 }' >"$work/defined"
  python3 - "$work" "$out" <<'PY'
import re, sys, pathlib
work, out = pathlib.Path(sys.argv[1]), sys.argv[2]
defined = set(work.joinpath('defined').read_text().split())
seen, order = set(), []
for profile in sorted(work.glob('callgrind.*')):
    names, objects, current = {}, {}, None
    for line in profile.read_text(errors='replace').splitlines():
        m = re.match(r'^(c?ob|c?fn)=\((\d+)\)(?: (.*))?$', line)
        if not m:
            continue
        kind, index, name = m.groups()
        table = objects if kind.endswith('ob') else names
        if name is not None:
            table[index] = name
        if kind == 'ob':
            current = objects.get(index, '')
        elif kind == 'fn' and current.endswith('/reverie-app'):
            fn = names[index]
            if fn in defined and fn not in seen:
                seen.add(fn)
                order.append(fn)
pathlib.Path(out).write_text('\n'.join(order) + '\n')
print(f'{len(order)} functions ran at start; written to {out}')
PY
  exit 0
fi

# Inside the virtual display and its own session bus, with an unlocked keyring.
eval "$(printf %s startup-order | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
profile() {
  local name=$1 data=$ORDER_WORK/$1 pid
  mkdir -p "$data"
  export REVERIE_DATA_DIR=$data/reverie XDG_DATA_HOME=$data/xdg-data \
    XDG_CACHE_HOME=$data/xdg-cache XDG_CONFIG_HOME=$data/xdg-config
  [[ $name == *with-agent ]] && "$ORDER_CLI" agent create Helper --model claude-sonnet-4-5 >/dev/null
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$ORDER_WORK/callgrind.$name" \
    "$ORDER_APP" >"$data/app.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    xdotool search --onlyvisible --name '^Reverie$' >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "the app exited: $(tail -n5 "$data/app.log")"; exit 1; }
    sleep 1
  done
  sleep "$ORDER_IDLE"
  callgrind_control --dump "$pid" >/dev/null
  sleep 2
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
profile 1-first-launch
profile 2-with-agent
