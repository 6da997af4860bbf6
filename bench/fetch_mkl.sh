#!/usr/bin/env bash
# Fetches oneMKL's runtime (the `mkl` wheel on PyPI ships libmkl_rt) for the optional MKL backend of
# `BLAS.gemm` (docs/design/blas-backends.md): downloads the wheel with pip (no install, no
# dependencies) and unpacks the few libraries the sequential LP64 sgemm path loads into
# .assets/mkl/lib. Nothing is needed to build TokenAlign; TOKENALIGN_BLAS=mkl selects it at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv-bench/bin/python}"
VERSION="${MKL_VERSION:-2026.2.1}"
DEST=.assets/mkl/lib
if [ -f "$DEST/libmkl_rt.so.3" ]; then echo "$DEST/libmkl_rt.so.3 already there"; exit 0; fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$PY" -m pip download "mkl==$VERSION" --no-deps -d "$TMP" >&2
mkdir -p "$DEST"
# libmkl_rt picks the interface (intel_lp64), threading (sequential) and CPU kernel libraries at run time.
unzip -j -o -q "$TMP"/mkl-*.whl \
  "mkl-$VERSION.data/data/lib/libmkl_rt.so.3" "mkl-$VERSION.data/data/lib/libmkl_core.so.3" \
  "mkl-$VERSION.data/data/lib/libmkl_intel_lp64.so.3" "mkl-$VERSION.data/data/lib/libmkl_sequential.so.3" \
  "mkl-$VERSION.data/data/lib/libmkl_def.so.3" "mkl-$VERSION.data/data/lib/libmkl_mc3.so.3" \
  "mkl-$VERSION.data/data/lib/libmkl_avx2.so.3" "mkl-$VERSION.data/data/lib/libmkl_avx512.so.3" \
  "mkl-$VERSION.data/data/lib/libmkl_avx10.so.3" -d "$DEST"
echo "oneMKL $VERSION runtime in $DEST"
