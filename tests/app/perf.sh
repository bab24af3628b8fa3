#!/usr/bin/env bash
# Measures the desktop app on a virtual display and prints the figures with
# their targets (it asserts nothing; timings on a shared machine vary):
#   - cold start: launch to the window being visible, and to the UI painted
#     (the second is polled with screenshots, so it is coarse, ~0.1 s);
#   - idle memory of the whole app (the app and its WebKit processes) after
#     it has sat idle: summed RSS (double-counts shared pages) and summed PSS;
#   - the same for the floor beneath it, in the same run: a Tauri window
#     showing one line of text (example `blank_window`), nothing of Reverie.
#     The difference is what Reverie itself costs (target: at most +30 MB
#     PSS), split into the page (WebKit's web process), the program and
#     WebKit's network process.
# Each run gets a fresh data folder and WebKit profile, as on first launch;
# app and floor runs alternate, so load on the machine hits both alike.
# PERF_KEEP_SMAPS=DIR keeps each measured process's /proc/PID/smaps there;
# PERF_IDLE=SECONDS sets how long each sits idle first (default 5);
# PERF_DATA=DIR starts the app on a copy of that data folder instead of an
# empty one (the first launch).
# Usage: tests/app/perf.sh [BINARY] [RUNS]   (default: release build if
# present, else debug; build with --features custom-protocol, and the floor
# with --example blank_window)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ${1:-} != --inside ]]; then
  bin=${1:-}
  if [[ -z $bin ]]; then
    bin=$root/target/release/reverie-app
    [[ -x $bin ]] || bin=$root/target/debug/reverie-app
  fi
  [[ -x $bin ]] || { echo "no app binary at $bin: bash scripts/package.sh builds it (cargo build --release --locked -p reverie-app -p reverie-cli --features reverie-app/custom-protocol)"; exit 1; }
  floor=$(dirname "$bin")/examples/blank_window
  [[ -x $floor ]] || { echo "no floor binary at $floor: cargo build --release -p reverie-app -p reverie-cli --features reverie-app/custom-protocol --example blank_window (the same packages, features and profile as the app, so nothing else compiles)"; exit 1; }
  export PERF_BIN=$bin PERF_FLOOR=$floor PERF_RUNS=${2:-5}
  exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- "$0" --inside
fi

runs=$PERF_RUNS
idle_seconds=${PERF_IDLE:-5}
echo "binary: $PERF_BIN ($(du -h "$PERF_BIN" | cut -f1)), floor: $PERF_FLOOR, $runs runs each, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

descendants() {
  local pid=$1 child
  echo "$pid"
  for child in $(pgrep -P "$pid" || true); do descendants "$child"; done
}

kib_field() { awk -v f="$1:" '$1 == f { s += $2 } END { print s + 0 }' "${@:2}" 2>/dev/null; }

# One cold start of $1; sets `visible`, `painted` (ms) and, when $2 is
# "memory", the idle memory figures of that run.
launch() {
  local bin=$1 with_memory=${2:-} scratch start pid window colours
  scratch=$(mktemp -d)
  export REVERIE_DATA_DIR=$scratch/data XDG_DATA_HOME=$scratch/xdg-data \
    XDG_CACHE_HOME=$scratch/xdg-cache XDG_CONFIG_HOME=$scratch/xdg-config
  [[ -n ${PERF_DATA:-} && $bin == "$PERF_BIN" ]] && cp -r "$PERF_DATA" "$REVERIE_DATA_DIR"
  start=$(date +%s%N)
  "$bin" >"$scratch/app.log" 2>&1 &
  pid=$!
  window=
  until window=$(xdotool search --onlyvisible --name '^Reverie$' 2>/dev/null | head -n1) && [[ -n $window ]]; do
    kill -0 "$pid" 2>/dev/null || { echo "$bin exited: $(tail -n5 "$scratch/app.log")"; exit 1; }
    (( $(date +%s%N) - start < 30000000000 )) || { echo "no window after 30 s"; exit 1; }
    sleep 0.01
  done
  visible=$(( ($(date +%s%N) - start) / 1000000 ))
  # The floor paints one line of text: a few colours, not a UI's many.
  local enough=64
  [[ $bin == "$PERF_FLOOR" ]] && enough=4
  until colours=$(import -window "$window" png:- 2>/dev/null | convert - -format '%k' info:) && (( colours >= enough )); do
    (( $(date +%s%N) - start < 30000000000 )) || { echo "$bin never painted"; exit 1; }
  done
  painted=$(( ($(date +%s%N) - start) / 1000000 ))

  if [[ $with_memory == memory ]]; then
    sleep "$idle_seconds"
    local pids rollups=() p
    mapfile -t pids < <(descendants "$pid")
    for p in "${pids[@]}"; do rollups+=("/proc/$p/smaps_rollup"); done
    rss=$(kib_field Rss "${rollups[@]}")
    pss=$(kib_field Pss "${rollups[@]}")
    pss_anon=$(kib_field Pss_Anon "${rollups[@]}")
    pss_file=$(kib_field Pss_File "${rollups[@]}")
    # Each kind of process apart: the program itself, WebKit's web process
    # (the page) and its network process.
    local comm
    own_pss=0 web_pss=0 net_pss=0
    for p in "${pids[@]}"; do
      comm=$(cat "/proc/$p/comm" 2>/dev/null || true)
      case $comm in
        WebKitWebProces*) web_pss=$(( web_pss + $(kib_field Pss "/proc/$p/smaps_rollup") )) ;;
        WebKitNetworkPr*) net_pss=$(( net_pss + $(kib_field Pss "/proc/$p/smaps_rollup") )) ;;
        *) own_pss=$(( own_pss + $(kib_field Pss "/proc/$p/smaps_rollup") )) ;;
      esac
    done
    names=$(for p in "${pids[@]}"; do cat "/proc/$p/comm" 2>/dev/null; done | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')
    # Per process: the app's own process, WebKit's web and network processes.
    per_process=$(for p in "${pids[@]}"; do
      printf '%s %s %s %s\n' "$(cat "/proc/$p/comm" 2>/dev/null)" \
        "$(kib_field Pss "/proc/$p/smaps_rollup")" "$(kib_field Pss_Anon "/proc/$p/smaps_rollup")" \
        "$(kib_field Pss_File "/proc/$p/smaps_rollup")"
    done | awk '{ pss[$1] += $2; anon[$1] += $3; file[$1] += $4 }
      END { for (n in pss) printf "%s %.1f MB (anon %.1f, file %.1f)\n", n, pss[n] / 1024, anon[n] / 1024, file[n] / 1024 }' |
      sort | paste -sd';' | sed 's/;/; /g')
    # For digging further: every process's smaps, kept where asked.
    if [[ -n ${PERF_KEEP_SMAPS:-} ]]; then
      local keep=$PERF_KEEP_SMAPS/$(basename "$bin")
      mkdir -p "$keep"
      for p in "${pids[@]}"; do cp "/proc/$p/smaps" "$keep/$(cat "/proc/$p/comm" 2>/dev/null).$p.smaps" 2>/dev/null || true; done
    fi
    # The largest file-backed mappings by PSS, across the processes.
    top_files=$(for p in "${pids[@]}"; do cat "/proc/$p/smaps" 2>/dev/null; done | awk '
      /^[0-9a-f]+-[0-9a-f]+ / { file = ($6 ~ /^\//) ? $6 : "" }
      $1 == "Pss:" && file != "" { pss[file] += $2 }
      END { for (f in pss) printf "%d %s\n", pss[f], f }' | sort -rn | head -n 8 |
      awk '{ n = split($2, parts, "/"); printf "%s%s %d MB", sep, parts[n], $1 / 1024; sep = ", " }' || true)
  fi
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  # WebKit's helper processes can still be writing there for a moment.
  rm -rf "$scratch" 2>/dev/null || { sleep 1; rm -rf "$scratch" 2>/dev/null || true; }
}

visible_ms=() painted_ms=() floor_visible_ms=() floor_painted_ms=()
for run in $(seq 1 "$runs"); do
  last=
  (( run == runs )) && last=memory
  launch "$PERF_FLOOR" "$last"
  floor_visible_ms+=("$visible") floor_painted_ms+=("$painted")
  if [[ -n $last ]]; then
    floor_pss=$pss floor_rss=$rss floor_anon=$pss_anon floor_file=$pss_file floor_per_process=$per_process
    floor_own=$own_pss floor_web=$web_pss floor_net=$net_pss
  fi
  launch "$PERF_BIN" "$last"
  visible_ms+=("$visible") painted_ms+=("$painted")
  echo "run $run: app window visible after ${visible} ms, UI painted after ~${painted} ms (floor: ${floor_visible_ms[-1]} / ${floor_painted_ms[-1]} ms)"
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
minmax() { printf '%s\n' "$@" | sort -n | sed -n '1p;$p' | paste -sd- -; }
mb() { echo $(( $1 / 1024 )); }
# A difference in KiB as signed MB with one decimal.
delta() { awk -v k="$1" 'BEGIN { printf "%+.1f", k / 1024 }'; }
echo "cold start, launch to window visible: median $(median "${visible_ms[@]}") ms (range $(minmax "${visible_ms[@]}") ms) — target < 1500 ms; floor $(median "${floor_visible_ms[@]}") ms"
echo "cold start, launch to UI painted:     median $(median "${painted_ms[@]}") ms (range $(minmax "${painted_ms[@]}") ms); floor (one line of text) $(median "${floor_painted_ms[@]}") ms"
echo "idle memory after ${idle_seconds} s ($names): PSS $(mb "$pss") MB, RSS sum $(mb "$rss") MB (the whole app, WebKit included)"
# Where it goes: heap and stacks, against mapped code (mostly WebKitGTK's
# libraries, shared with every other WebKit app on the machine).
echo "  of the PSS: anonymous (heaps, JS) $(mb "$pss_anon") MB, file-backed (binaries and libraries) $(mb "$pss_file") MB"
echo "  by process: $per_process"
echo "  largest file-backed mappings: $top_files"
echo "idle memory of the floor (a blank Tauri window, same run): PSS $(mb "$floor_pss") MB (anonymous $(mb "$floor_anon"), file-backed $(mb "$floor_file")), RSS sum $(mb "$floor_rss") MB"
echo "  by process: $floor_per_process"
echo "Reverie's own share: PSS $(delta $(( pss - floor_pss ))) MB — target ≤ +30 MB"
echo "  anonymous $(delta $(( pss_anon - floor_anon ))), file-backed $(delta $(( pss_file - floor_file )));" \
  "the page (web process) $(delta $(( web_pss - floor_web ))), the program $(delta $(( own_pss - floor_own ))), network process $(delta $(( net_pss - floor_net )))"
