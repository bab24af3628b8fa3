#!/usr/bin/env bash
# Contract check: what Reverie sends, and what the fake model server answers,
# must match the public Anthropic and OpenAI APIs as the official Python SDKs
# type them.
#   1. the Rust tests provider_contract and managed_agents_contract drive
#      every request shape (model turns; Managed Agents memory stores,
#      sessions, dreams) through the fake server and dump what it received
#      to target/contract/;
#   2. check_contract.py validates those bodies (strictly: unknown fields are
#      errors) against anthropic's MessageCreateParams and openai's
#      CompletionCreateParams (and the bridge's against the beta params, see
#      managed_contract.py), then points the official SDK clients at a
#      standalone fake-model-server and reads its replies (streamed and not).
# Usage: tests/contract/check.sh   (needs python3 with venv, and PyPI)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out=${REVERIE_CONTRACT_DIR:-$target/contract}
venv=${CONTRACT_VENV:-$target/contract-venv}

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/tests/contract/requirements.txt"

cd "$root"
cargo build --quiet -p reverie-fake-model --bin fake-model-server
REVERIE_CONTRACT_DIR="$out" cargo test --quiet -p reverie-engine --test provider_contract --test managed_agents_contract
"$venv/bin/python" "$root/tests/contract/check_contract.py" "$out" "$target/debug/fake-model-server"
# The memory tool against the SDK's reference handler (prints its agreement rate).
REVERIE_REFERENCE_PYTHON="$venv/bin/python" REVERIE_REQUIRE_REFERENCE=1 \
  cargo test --quiet -p reverie-engine --test memory_tool_reference -- --nocapture
