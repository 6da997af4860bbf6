#!/usr/bin/env bash
# Fails when a source file reads or writes JSON through Foundation's `JSONSerialization` instead of
# the package's one JSON value (Sources/Support/JSON): its key order, number layout and leniency
# differ, and the files we write must keep their bytes. Run by .ci/run. Needs only bash and grep.
set -euo pipefail
cd "$(dirname "$0")/.."
if hits=$(grep -rnE --include='*.swift' 'JSONSerialization\.' Sources); then
    printf '%s\n' "$hits" >&2
    echo "check-json: use JSONValue (Sources/Support/JSON) instead of JSONSerialization" >&2
    exit 1
fi
echo "check-json: no JSONSerialization in Sources"
