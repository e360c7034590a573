#!/usr/bin/env bash
# ctest peer_bench_quick (issue 18): scripts/peer-bench.sh --quick against both
# servers (tiny settings, numbers meaningless) and checks that the report's JSON
# and HTML exist and hold both servers' runs, capacities and overload entries.
# Exit 77 (skipped) when llama-server is not built (scripts/build-llama-cpp.sh).
# Usage: scripts/peer-bench-test.sh CACHEOPT_BINARY WORK_DIR
set -euo pipefail
bin=${1:?usage: $0 CACHEOPT_BINARY WORK_DIR}; work=${2:?work dir}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rm -rf "$work"; mkdir -p "$work"
set +e
bash "$here/peer-bench.sh" --cacheopt "$bin" --no-build-peer --quick --out "$work" 2>"$work/stderr.log"
rc=$?
set -e
[ "$rc" = 77 ] && { cat "$work/stderr.log"; exit 77; }
[ "$rc" = 0 ] || { echo "FAIL: peer-bench.sh exited $rc"; cat "$work/stderr.log"; exit 1; }
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
report = json.load(open(os.path.join(work, "peer-bench.json")))
slos = [str(s) for s in report["setup"]["tbt_slos_ms"]]
assert slos == ["50", "100", "200"], slos
servers = report["models"]["15m"]["servers"]
assert sorted(servers) == ["cacheopt", "llama-server"], sorted(servers)
for name, s in servers.items():
    assert s["runs"], f"{name}: no runs"
    for run in s["runs"]:
        assert run["completed"] + run["failed"] == 12, (name, run["completed"], run["failed"])
        assert run["completed"] > 0, f"{name}: every request failed"
        assert sorted(run["slo"]) == sorted(slos), run["slo"].keys()
        assert os.path.exists(os.path.join(work, run["raw"])), run["raw"]
    told = sorted({run["told_tbt_slo_ms"] or 0 for run in s["runs"]})
    # cacheopt's requests carry each judged SLO (--slo-hint judged); llama-server ignores them
    assert told == ([50, 100, 200] if name == "cacheopt" else [0]), (name, told)
    assert sorted(s["capacity"]) == sorted(slos) and sorted(s["overload"]) == sorted(slos), name
    for slo in slos:
        cap = s["capacity"][slo]
        # quick mode runs one rate: the capacity is either below it or at least it
        assert cap["below_range"] or cap["above_range"], cap
        assert cap["capacity_rps"] == (0.0 if cap["below_range"] else 16.0), cap
assert set(report["setup"]["server_commands"]) == {"cacheopt", "llama-server"}
assert "-np 32 -c 65536" in report["setup"]["server_commands"]["llama-server"]
page = open(os.path.join(work, "peer-bench.html")).read()
for needle in ("cacheopt", "llama-server", "<svg", "SLO capacity", "p95 ITL", "p99 TTFT", "TBT 50 ms",
               "TBT 200 ms", "1.25x", "TBT SLO sent"):
    assert needle in page, f"peer-bench.html lacks '{needle}'"
summary = open(os.path.join(work, "summary.md")).read()
assert "| 15m | 100 ms |" in summary and "| rate (req/s) | cacheopt | llama-server |" in summary, summary
print("peer-bench quick report: OK")
PY
