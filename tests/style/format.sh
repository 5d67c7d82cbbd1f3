#!/usr/bin/env bash
# Every tracked C++ file is formatted by the repository's .clang-format (clang-format 14, Debian 12):
# exits 1 listing the files that are not. Fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
set -uo pipefail
cd "$(dirname "$0")/../.."
CLANG_FORMAT="${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format)}"
if [ -z "$CLANG_FORMAT" ]; then
    echo "format: clang-format is not installed (Debian package clang-format)"
    exit 1
fi
bad=()
while IFS= read -r f; do
    "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
if [ "${#bad[@]}" -gt 0 ]; then
    printf 'not formatted by .clang-format:\n'
    printf '  %s\n' "${bad[@]}"
    exit 1
fi
echo "format: ok"
