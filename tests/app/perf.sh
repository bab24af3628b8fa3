#!/usr/bin/env bash
# Measures the desktop app on a virtual display and prints the figures with
# their targets (it asserts nothing; timings on a shared machine vary):
#   - cold start: launch to the window being visible, and to the UI painted
#     (the second is polled with screenshots, so it is coarse, ~0.1 s);
#   - idle memory of the whole app (the app and its WebKit processes) after
#     it has sat idle: summed RSS (double-counts shared pages) and summed PSS.
# Each run gets a fresh data folder and WebKit profile, as on first launch.
# Usage: tests/app/perf.sh [BINARY] [RUNS]   (default: release build if
# present, else debug; build with --features custom-protocol)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ${1:-} != --inside ]]; then
  bin=${1:-}
  if [[ -z $bin ]]; then
    bin=$root/target/release/reverie-app
    [[ -x $bin ]] || bin=$root/target/debug/reverie-app
  fi
  [[ -x $bin ]] || { echo "no app binary at $bin: cargo build -p reverie-app --features custom-protocol"; exit 1; }
  export PERF_BIN=$bin PERF_RUNS=${2:-5}
  exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- "$0" --inside
fi

bin=$PERF_BIN
runs=$PERF_RUNS
idle_seconds=5
echo "binary: $bin ($(du -h "$bin" | cut -f1)), $runs runs, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

descendants() {
  local pid=$1 child
  echo "$pid"
  for child in $(pgrep -P "$pid" || true); do descendants "$child"; done
}

kib_field() { awk -v f="$1:" '$1 == f { s += $2 } END { print s + 0 }' "${@:2}" 2>/dev/null; }

visible_ms=() painted_ms=()
for run in $(seq 1 "$runs"); do
  scratch=$(mktemp -d)
  export REVERIE_DATA_DIR=$scratch/data XDG_DATA_HOME=$scratch/xdg-data \
    XDG_CACHE_HOME=$scratch/xdg-cache XDG_CONFIG_HOME=$scratch/xdg-config
  start=$(date +%s%N)
  "$bin" >"$scratch/app.log" 2>&1 &
  pid=$!
  window=
  until window=$(xdotool search --onlyvisible --name '^Reverie$' 2>/dev/null | head -n1) && [[ -n $window ]]; do
    kill -0 "$pid" 2>/dev/null || { echo "the app exited: $(tail -n5 "$scratch/app.log")"; exit 1; }
    (( $(date +%s%N) - start < 30000000000 )) || { echo "no window after 30 s"; exit 1; }
    sleep 0.01
  done
  visible=$(( ($(date +%s%N) - start) / 1000000 ))
  until colours=$(import -window "$window" png:- 2>/dev/null | convert - -format '%k' info:) && (( colours >= 64 )); do
    (( $(date +%s%N) - start < 30000000000 )) || { echo "the UI never painted"; exit 1; }
  done
  painted=$(( ($(date +%s%N) - start) / 1000000 ))
  visible_ms+=("$visible") painted_ms+=("$painted")
  echo "run $run: window visible after ${visible} ms, UI painted after ~${painted} ms"

  if (( run == runs )); then
    sleep "$idle_seconds"
    mapfile -t pids < <(descendants "$pid")
    rollups=()
    for p in "${pids[@]}"; do rollups+=("/proc/$p/smaps_rollup"); done
    rss=$(kib_field Rss "${rollups[@]}")
    pss=$(kib_field Pss "${rollups[@]}")
    pss_anon=$(kib_field Pss_Anon "${rollups[@]}")
    pss_file=$(kib_field Pss_File "${rollups[@]}")
    names=$(for p in "${pids[@]}"; do cat "/proc/$p/comm" 2>/dev/null; done | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')
    # The largest file-backed mappings by PSS, across the app's processes.
    top_files=$(for p in "${pids[@]}"; do cat "/proc/$p/smaps" 2>/dev/null; done | awk '
      /^[0-9a-f]+-[0-9a-f]+ / { file = ($6 ~ /^\//) ? $6 : "" }
      $1 == "Pss:" && file != "" { pss[file] += $2 }
      END { for (f in pss) printf "%d %s\n", pss[f], f }' | sort -rn | head -n 8 |
      awk '{ n = split($2, parts, "/"); printf "%s%s %d MB", sep, parts[n], $1 / 1024; sep = ", " }')
  fi
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  rm -rf "$scratch"
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
minmax() { printf '%s\n' "$@" | sort -n | sed -n '1p;$p' | paste -sd- -; }
echo "cold start, launch to window visible: median $(median "${visible_ms[@]}") ms (range $(minmax "${visible_ms[@]}") ms) — target < 1500 ms"
echo "cold start, launch to UI painted:     median $(median "${painted_ms[@]}") ms (range $(minmax "${painted_ms[@]}") ms)"
echo "idle memory after ${idle_seconds} s ($names): PSS $(( pss / 1024 )) MB, RSS sum $(( rss / 1024 )) MB — target < 150 MB"
# Where it goes: heap and stacks, against mapped code (mostly WebKitGTK's
# libraries, shared with every other WebKit app on the machine).
echo "  of the PSS: anonymous (heaps, JS) $(( pss_anon / 1024 )) MB, file-backed (binaries and libraries) $(( pss_file / 1024 )) MB"
echo "  largest file-backed mappings: $top_files"
