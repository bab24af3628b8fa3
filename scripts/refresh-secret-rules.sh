#!/usr/bin/env bash
# Refreshes the pinned secret rule catalogue (Gitleaks rules as transformed
# by the keyspoor crate) from crates.io. Usage: scripts/refresh-secret-rules.sh 0.1.3
set -euo pipefail
version=${1:?give the keyspoor version to take the rules from, e.g. 0.1.3}
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/src-tauri/engine/data/secret-rules"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL -o "$work/k.crate" "https://static.crates.io/crates/keyspoor/keyspoor-$version.crate"
tar xzf "$work/k.crate" -C "$work"
src="$work/keyspoor-$version"
cp "$src/src/builtin_rules.json" "$dest/gitleaks-rules.json"
cp "$src/THIRD_PARTY_NOTICES" "$dest/LICENSE-gitleaks.txt"
cp "$src/LICENSE" "$dest/LICENSE-keyspoor-apache-2.0.txt"
python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['rules']), 'rules')" "$dest/gitleaks-rules.json"
echo "pinned: keyspoor $version, SHA-256 $(sha256sum "$dest/gitleaks-rules.json" | cut -d' ' -f1)"
echo "update README.md in $dest with this version and hash"
