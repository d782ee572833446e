#!/usr/bin/env bash
# Install everything the test suite needs, then run all of it (CPU, offline).
#   bash scripts/test.sh            # the whole suite
#   bash scripts/test.sh -k plan    # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser test drives Debian's Chromium (never a downloaded browser build).
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
# torch first and pinned: on a CPU machine this takes the CPU wheel instead of a multi-GB CUDA build.
python -m pip install -q torch==2.13.0
python -m pip install -q -r requirements-test.txt
# tiny-qwen3 (the offline demo model) is built once per machine and takes minutes on 2 cores. Build it
# in the background while the tests that need no model run; the first test that needs it waits for this
# build (a file lock), and a machine that has it already skips the build in seconds.
export HF_HUB_OFFLINE=1 TOOLFT_MODELS_DIR="${TOOLFT_MODELS_DIR:-$PWD/.toolft/models}"
mkdir -p .toolft
python -m toolft tiny build > /dev/null 2> .toolft/build.log &
BUILD=$!
trap 'kill $BUILD 2> /dev/null || true' EXIT
python -m pytest -q "$@"
wait $BUILD || { echo "tiny-qwen3 build failed:"; tail -20 .toolft/build.log; exit 1; }
