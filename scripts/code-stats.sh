#!/usr/bin/env bash
# Lines per folder and the longest functions (Universal Ctags' start and end
# lines), the figures issue 14's note compares before and after.
#   bash scripts/code-stats.sh [TOP]
set -euo pipefail
cd "$(dirname "$0")/.."
top=${1:-5}
echo "lines per folder (.cc and .h):"
for d in $(find src apps tests include tools -mindepth 0 -maxdepth 3 -type d 2>/dev/null | sort); do
  n=$(find "$d" -maxdepth 1 \( -name '*.cc' -o -name '*.h' \) -print0 | xargs -0 -r cat | wc -l)
  [[ $n -gt 0 ]] && printf '  %6d  %s\n' "$n" "$d"
done
echo "longest functions:"
ctags -R -f - --output-format=u-ctags --c++-kinds=f --fields=+ne --languages=C++ src apps tests include tools 2>/dev/null |
  awk -F'\t' '{ line = ""; end = ""
    for (i = 4; i <= NF; i++) { if ($i ~ /^line:/) line = substr($i, 6); if ($i ~ /^end:/) end = substr($i, 5) }
    if (line != "" && end != "") printf "%d\t%s\t%s:%s\n", end - line + 1, $1, $2, line }' |
  sort -rn | head -n "$top" | awk -F'\t' '{ printf "  %5d lines  %s  (%s)\n", $1, $2, $3 }'
