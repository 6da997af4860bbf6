#!/usr/bin/env bash
# Builds llama-cpp-python (CPU, native ISA) into .venv-bench from the source distribution cached in
# .assets/downloads, for the decode comparison in bench/llamacpp_decode.py. Build-time tools
# (scikit-build-core, cmake, ninja) come from PyPI; nothing else is downloaded.
# Runs under `nice`: it is a long compile and the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
SDIST=.assets/downloads/llama_cpp_python-0.3.36.tar.gz
PY=.venv-bench/bin/python
[ -f "$SDIST" ] || { echo "error: $SDIST missing (scripts/fetch-assets.sh)" >&2; exit 66; }
if "$PY" -c 'import llama_cpp, sys; sys.exit(0 if llama_cpp.__version__ == "0.3.36" else 1)' 2>/dev/null; then
  echo "llama-cpp-python 0.3.36 already installed"; exit 0
fi
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=ON -DGGML_BLAS=OFF -DGGML_OPENMP=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
nice -n 19 "$PY" -m pip install --no-cache-dir -v "$SDIST"
"$PY" -c 'import llama_cpp; print("llama_cpp", llama_cpp.__version__)'
