#!/usr/bin/env bash
# Fails when a target's sources import a module that Package.swift does not declare as one of the
# target's dependencies. SwiftPM builds such a target only by luck of the build order (the module
# happens to be built already through another path), and a clean build of that target alone breaks.
# Run by .ci/run before the test suite. Needs only bash and awk.
set -euo pipefail
cd "$(dirname "$0")/.."

# Modules that come with the toolchain or the platform and need no declaration.
system="Foundation FoundationXML FoundationNetworking Glibc Darwin Dispatch Synchronization Accelerate Testing XCTest os"

# "target<TAB>dep dep dep" for every target in the manifest: the quoted names inside each
# target's `dependencies: [...]` (products, conditional targets and plain names alike).
declared=$(awk '
    { text = text $0 "\n" }
    END {
        n = length(text); i = 1
        while (i <= n) {
            rest = substr(text, i)
            if (match(rest, /\.(target|testTarget|executableTarget|systemLibrary)\(/) == 0) break
            start = i + RSTART + RLENGTH - 1
            depth = 1; j = start
            while (j <= n && depth > 0) {
                c = substr(text, j, 1)
                if (c == "(") depth++
                else if (c == ")") depth--
                j++
            }
            body = substr(text, start, j - start - 1)
            name = ""
            if (match(body, /name: *"[^"]+"/)) { name = substr(body, RSTART, RLENGTH); sub(/name: *"/, "", name); sub(/"$/, "", name) }
            deps = ""
            if (match(body, /dependencies: *\[/)) {
                d = substr(body, RSTART + RLENGTH); k = 1; level = 1
                while (k <= length(d) && level > 0) { c = substr(d, k, 1); if (c == "[") level++; else if (c == "]") level--; k++ }
                d = substr(d, 1, k - 2)
                while (match(d, /"[^"]+"/)) { deps = deps " " substr(d, RSTART + 1, RLENGTH - 2); d = substr(d, RSTART + RLENGTH) }
            }
            if (name != "") print name "\t" deps
            i = j
        }
    }' Package.swift)

status=0
for dir in Sources/*/ Tests/*/; do
    target=$(basename "$dir")
    line=$(printf '%s\n' "$declared" | awk -F '\t' -v t="$target" '$1 == t { print; exit }')
    [ -n "$line" ] || continue   # fixtures, fuzz drivers: not targets of the normal build
    deps=" ${line#*$'\t'} "
    while read -r module file; do
        [ -n "$module" ] || continue
        case " $system $target " in *" $module "*) continue ;; esac
        case "$deps" in *" $module "*) continue ;; esac
        echo "$file imports $module, which target $target does not declare in Package.swift" >&2
        status=1
    done < <(grep -rE --include='*.swift' '^(@testable |@_exported |@preconcurrency )?import ' "$dir" |
             sed -E 's/^([^:]+):(@testable |@_exported |@preconcurrency )?import +([A-Za-z_0-9]+).*/\3 \1/' | sort -u -k1,1)
done
[ $status -eq 0 ] && echo "check-imports: every import is declared"
exit $status
