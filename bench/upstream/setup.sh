#!/usr/bin/env bash
# Sets up the upstream asterai runtime with the upstream asterbot
# components in DIR, offline after the sources are there, for
# `ASTERBOT_UPSTREAM=DIR cargo xtask bench upstream` (docs/benchmarks.md).
#
#   bash bench/upstream/setup.sh DIR
#
# Sources: the three upstream repositories at the commits below, cloned
# from GitHub, or taken from ASTERAI_SOURCES (a folder holding `asterai`,
# `asterbot` and `components` checkouts). The runtime is the CLI release
# published on npm. Nothing of upstream's is kept in this repository.
#
# Two changes are made to the copies in DIR, both needed to run offline:
# - `asterai component build` packages each component's WIT through
#   api.asterai.io; instead, each component gets a local WIT folder at the
#   path its bindings read (`wit/package.wasm`, which wit-parser also reads
#   as a folder), holding its `component.wit` and the packages it uses.
# - The OpenAI provider posts to a fixed api.openai.com address; it is
#   pointed at the local mock server the benchmark starts.
set -euo pipefail

DIR=${1:?usage: setup.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PORT=${MOCK_PORT:-18099}
CLI_VERSION=1.0.0-alpha.17
declare -A COMMITS=(
  [asterai]=f15b6e0
  [asterbot]=fc1f0f5
  [components]=f0a67e8
)

SRC=$DIR/src
mkdir -p "$SRC"
for repo in asterai asterbot components; do
  want=${COMMITS[$repo]}
  rm -rf "${SRC:?}/$repo"
  if [[ -n ${ASTERAI_SOURCES:-} ]]; then
    from=$ASTERAI_SOURCES/$repo
    have=$(git -C "$from" rev-parse HEAD)
    [[ $have == "$want"* ]] || echo "note: $repo is at $have, not $want" >&2
    mkdir -p "$SRC/$repo"
    git -C "$from" archive HEAD | tar -x -C "$SRC/$repo"
  else
    git clone -q "https://github.com/asterai-io/$repo" "$SRC/$repo"
    git -C "$SRC/$repo" checkout -q "$want"
  fi
done

echo "== the CLI ($CLI_VERSION, from npm)"
if [[ ! -x $DIR/npm/package/bin/asterai ]]; then
  mkdir -p "$DIR/npm"
  (cd "$DIR/npm" && npm pack -q "@asterai/cli-linux-x64@$CLI_VERSION" >/dev/null &&
    tar xzf "asterai-cli-linux-x64-$CLI_VERSION.tgz")
fi
ln -sf "$DIR/npm/package/bin/asterai" "$DIR/asterai"

echo "== WIT folders"
WIT=$DIR/wit
mkdir -p "$WIT"
cp "$SRC/asterai/runtime/wit/asterai_host.wit" "$WIT/host.wit"
cp "$SRC/asterbot/components/types.wit" "$WIT/types.wit"
cp "$SRC/components/rs/fs/component.wit" "$WIT/fs.wit"
# asterbot's components import asterai:llm@1.1.0; the llm repository is at
# 1.1.1, with the same interface.
sed 's/^package asterai:llm@1.1.1;/package asterai:llm@1.1.0;/' \
  "$SRC/components/rs/llm/component.wit" >"$WIT/llm-1.1.0.wit"
wit_folder() { # component folder, then the packages it uses
  local component=$1 folder=$1/wit/package.wasm
  shift
  rm -rf "$component/wit"
  mkdir -p "$folder/deps"
  cp "$component/component.wit" "$folder/"
  cp "$@" "$folder/deps/"
}
BOT=$SRC/asterbot/components
RS=$SRC/components/rs
for component in agent core toolkit; do
  wit_folder "$BOT/$component" "$WIT/host.wit" "$WIT/types.wit" "$WIT/llm-1.1.0.wit"
done
wit_folder "$RS/llm" "$WIT/host.wit"
wit_folder "$RS/fs-local" "$WIT/host.wit" "$WIT/fs.wit"

echo "== the OpenAI provider, pointed at 127.0.0.1:$PORT"
sed -i "s#\"https://api.openai.com/v1/chat/completions\"#\"http://127.0.0.1:$PORT/v1/chat/completions\"#" \
  "$RS/llm/src/openai.rs"
grep -q "127.0.0.1:$PORT" "$RS/llm/src/openai.rs" || {
  echo "the OpenAI address was not found in $RS/llm/src/openai.rs" >&2
  exit 1
}

echo "== components (cargo, wasm32-wasip2, release)"
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
export CARGO_TARGET_DIR=$DIR/target
for component in "$BOT/agent" "$BOT/core" "$BOT/toolkit" "$RS/llm" "$RS/fs-local"; do
  (cd "$component" && cargo build -q --release --locked --target wasm32-wasip2)
done
OUT=$CARGO_TARGET_DIR/wasm32-wasip2/release

echo "== the environment bench:bot"
ARTIFACTS=$DIR/home/.asterai/bin/artifacts
rm -rf "$ARTIFACTS"
install_component() { # namespace, name, version, file
  local folder=$ARTIFACTS/$1/$2@$3
  mkdir -p "$folder"
  cp "$4" "$folder/component.wasm"
  printf '{"kind":"component"}' >"$folder/metadata.json"
}
install_component asterbot agent 1.0.0 "$OUT/asterbot_self.wasm"
install_component asterbot core 1.2.0 "$OUT/asterbot_core.wasm"
install_component asterbot toolkit 1.0.1 "$OUT/asterbot_toolkit.wasm"
install_component asterai llm 1.1.1 "$OUT/llm.wasm"
install_component asterai fs-local 1.0.0 "$OUT/fs_local.wasm"
ENV_DIR=$ARTIFACTS/bench/bot@0.1.0
mkdir -p "$ENV_DIR" "$DIR/state"
printf '{"kind":"environment"}' >"$ENV_DIR/metadata.json"
cat >"$ENV_DIR/env.toml" <<TOML
[metadata]
namespace = "bench"
name = "bot"
version = "0.1.0"

[components]
"asterbot:agent" = "1.0.0"
"asterbot:core" = "1.2.0"
"asterbot:toolkit" = "1.0.1"
"asterai:llm" = "1.1.1"
"asterai:fs-local" = "1.0.0"

[vars]
ASTERBOT_MODEL = "openai/mock"
OPENAI_KEY = "sk-mock"
ASTERBOT_TOOLS = "asterai:fs-local"
TOML
echo hello >"$DIR/state/hello.txt"
echo "ready: ASTERBOT_UPSTREAM=$DIR cargo xtask bench upstream"
