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
# tiny-qwen3 (the offline demo model) ships prebuilt: installing it into the models cache takes seconds.
export HF_HUB_OFFLINE=1 TOOLFT_MODELS_DIR="${TOOLFT_MODELS_DIR:-$PWD/.toolft/models}"
python -m toolft tiny build > /dev/null
python -m pytest -q "$@"
