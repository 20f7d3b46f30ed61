#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image; the bundle is unzipped
# into /autograder/source. It installs the pinned requirements, then the grader from the bundle.
#
# torch: Gradescope's images have no GPU, so take PyTorch's CPU wheels from PyTorch's own index
# (the default PyPI wheel of torch pulls the multi-GB CUDA build). Where torch==<pin> resolves
# without it (a local mirror, an image with torch already installed), run with TORCH_INDEX_URL="".
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
PYTHON="${GRADER_PYTHON:-python3}"
TORCH_INDEX_URL="${TORCH_INDEX_URL-https://download.pytorch.org/whl/cpu}"

if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  apt-get update && apt-get install -y python3-pip
fi
"$PYTHON" -m pip install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} -r "$SOURCE/requirements.txt"
"$PYTHON" -m pip install --no-deps "$SOURCE"
"$PYTHON" -m grader --version
