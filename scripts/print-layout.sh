#!/usr/bin/env bash
# Compiles scripts/print-layout.c with the host's C compiler and prints the host's layouts,
# constants, errno and signal numbers as JSON. Exit 3 when there is no C compiler.
set -euo pipefail
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || { echo "no C compiler ($cc)" >&2; exit 3; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$cc" -O0 -w -o "$dir/print-layout" "$(dirname "$0")/print-layout.c"
"$dir/print-layout"
