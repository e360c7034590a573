#!/usr/bin/env bash
# Decode speed of our CPU engine against llama.cpp (issue 17), side by side on
# the same GGUF file and the same number of threads, in one run:
#   - one stream:   llama-bench -n 128 -p 0 -t T       vs cpu_engine_bench --streams 1
#   - N streams:    llama-batched-bench -npl 8,32       vs cpu_engine_bench --streams 8,32
#                   (-npp 16 -ntg 2*steps: the same 16-token prompts and about
#                   as many decode steps as our bench takes)
# for F32, Q8_0 and Q4_K files of the generated 15m and 110m models
# (make-model --quant), with 1 and 2 threads. Aggregate decode tokens/s
# everywhere; ours/llama.cpp ratios. Also each file's memory-bandwidth floor
# (cpu_engine_bench's "floor:" line: bytes per single-stream token over the
# read bandwidth measured on this machine).
#
# Usage: scripts/peer-speed.sh [--models 15m,110m] [--quants F32,Q8_0,Q4_K]
#          [--threads 1,2] [--streams 1,8,32] [--steps 32] [--out DIR]
#          [--build DIR] [--reps 3] [--report-only]
# Writes DIR/peer-speed.json and DIR/peer-speed.md (default DIR:
# build/peer-speed), and the models into DIR/models (kept between runs).
# Env: CACHEOPT_LLAMA_BIN=DIR uses those llama.cpp binaries; otherwise
# scripts/build-llama-cpp.sh builds (or finds) them.
# --report-only rewrites the JSON and table from DIR/raw of an earlier run
# (the same flags) without running anything.
# Quick: scripts/peer-speed.sh --models 15m --quants F32 --threads 1 --streams 1
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"

models=15m,110m
quants=F32,Q8_0,Q4_K
threads=1,2
streams=1,8,32
steps=32
reps=3
out="$root/build/peer-speed"
build="$root/build"
report_only=0
usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --quants) quants="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --streams) streams="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --report-only) report_only=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "error: unknown option $1" >&2; usage ;;
  esac
done
for v in "--streams:$streams" "--threads:$threads" "--steps:$steps" "--reps:$reps"; do
  for n in $(echo "${v#*:}" | tr ',' ' '); do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: ${v%%:*} takes positive numbers, got '$n'" >&2; exit 2; }
  done
done

src="${CACHEOPT_CACHE:-$HOME/.cache/cacheopt}/llama.cpp-src"
llama_version="unknown"
[ -d "$src/.git" ] && llama_version="$(git -C "$src" log -1 --format='%H %cI')"
raw="$out/raw"
bin="${CACHEOPT_LLAMA_BIN:-}"
if [ "$report_only" = 0 ]; then
  for tool in "$build/cacheopt" "$build/cpu_engine_bench"; do
    [ -x "$tool" ] || { echo "error: $tool missing (cmake --build $build --target cacheopt cpu_engine_bench)" >&2; exit 1; }
  done
  command -v python3 >/dev/null || { echo "error: python3 not found" >&2; exit 1; }
  if [ -n "${CACHEOPT_LLAMA_BIN:-}" ]; then
    bin="$CACHEOPT_LLAMA_BIN"
  else
    bin="$("$here/build-llama-cpp.sh" --bin-dir)" || bin="$("$here/build-llama-cpp.sh" | tail -n 1)"
  fi
  for t in llama-bench llama-batched-bench; do
    [ -x "$bin/$t" ] || { echo "error: $bin/$t missing (scripts/build-llama-cpp.sh)" >&2; exit 1; }
  done

  mkdir -p "$out/models" "$out/raw"
  rm -f "$raw"/*.txt "$raw"/*.jsonl "$raw"/*.err
  multi="$(echo "$streams" | tr ',' '\n' | awk '$1 > 1' | paste -sd, -)"
  max_multi="$(echo "$streams" | tr ',' '\n' | sort -n | tail -n 1)"
  npp=16
  ntg=$((2 * steps))

  for cfg in ${models//,/ }; do
    for q in ${quants//,/ }; do
      f="$out/models/m$cfg-$q.gguf"
      if [ ! -f "$f" ]; then
        echo "making $f" >&2
        "$build/cacheopt" make-model --config "$cfg" --quant "$q" --out "$f" >/dev/null
      fi
      for t in ${threads//,/ }; do
        tag="m$cfg-$q-t$t"
        echo "== $tag ($(cut -d' ' -f1-3 /proc/loadavg) load)" >&2
        # Ours: every stream count in one process (the model loads once).
        "$build/cpu_engine_bench" --models "$f" --threads "$t" --streams "$streams" --steps "$steps" \
          --no-reference > "$raw/$tag-ours.txt" 2>&1 || { echo "error: cpu_engine_bench failed on $f (see $raw/$tag-ours.txt)" >&2; exit 1; }
        grep -E '^(result|floor):' "$raw/$tag-ours.txt" >&2 || true
        if echo ",$streams," | grep -q ',1,'; then
          "$bin/llama-bench" -m "$f" -n 128 -p 0 -t "$t" -r "$reps" -o jsonl > "$raw/$tag-llama-bench.jsonl" \
            2> "$raw/$tag-llama-bench.err" || { echo "error: llama-bench failed on $f (see $raw/$tag-llama-bench.err)" >&2; exit 1; }
          python3 -c 'import json,sys; print("llama-bench avg_ts", json.loads(open(sys.argv[1]).readline())["avg_ts"])' \
            "$raw/$tag-llama-bench.jsonl" >&2
        fi
        if [ -n "$multi" ]; then
          "$bin/llama-batched-bench" -m "$f" -c $((max_multi * (npp + ntg))) -npp "$npp" -ntg "$ntg" -npl "$multi" \
            -t "$t" -tb "$t" --output-format jsonl > "$raw/$tag-llama-batched.jsonl" 2> "$raw/$tag-llama-batched.err" ||
            { echo "error: llama-batched-bench failed on $f (see $raw/$tag-llama-batched.err)" >&2; exit 1; }
          grep -o '"pl": [0-9]*\|"speed_tg": [0-9.]*' "$raw/$tag-llama-batched.jsonl" | paste -sd' ' >&2 || true
        fi
      done
    done
  done

fi

python3 - "$raw" "$out" "$models" "$quants" "$threads" "$streams" "$steps" "$llama_version" "$bin" <<'EOF'
import json, os, re, sys, platform, datetime
raw, out, models, quants, threads, streams, steps, llama_version, bin_dir = sys.argv[1:]
streams = [int(s) for s in streams.split(',')]
rows = []
def kv(line):
    return dict(p.split('=', 1) for p in line.split()[1:])
for cfg in models.split(','):
    for q in quants.split(','):
        for t in threads.split(','):
            tag = f"m{cfg}-{q}-t{t}"
            ours, ours_mean, floor = {}, {}, None
            if not os.path.exists(os.path.join(raw, tag + "-ours.txt")):
                print(f"note: no results for {tag} (run cut short?)", file=sys.stderr)
                continue
            for line in open(os.path.join(raw, tag + "-ours.txt")):
                m = re.match(r"engine\s+(\d+) streams?\s*:.*\(mean ([0-9.]+) tok/s", line)
                if m:
                    ours_mean[int(m.group(1))] = float(m.group(2))
                if line.startswith("result:"):
                    d = kv(line); ours[int(d["streams"])] = float(d["tok_s"])
                elif line.startswith("floor:"):
                    d = kv(line); floor = {k: float(d[k]) for k in ("weight_bytes", "kv_bytes_per_token", "read_gbs", "floor_tok_s")}
            peer = {}
            p = os.path.join(raw, tag + "-llama-bench.jsonl")
            if os.path.exists(p):
                for line in open(p):
                    if line.strip():
                        d = json.loads(line); peer[1] = d["avg_ts"]; commit = d.get("build_commit")
            p = os.path.join(raw, tag + "-llama-batched.jsonl")
            if os.path.exists(p):
                for line in open(p):
                    if line.strip():
                        d = json.loads(line); peer[int(d["pl"])] = d["speed_tg"]
            for n in streams:
                o, om, l = ours.get(n), ours_mean.get(n), peer.get(n)
                # The ratio uses our mean rate: llama-bench's avg_ts and
                # llama-batched-bench's speed_tg are means too.
                rows.append({"model": cfg, "quant": q, "threads": int(t), "streams": n,
                             "ours_tok_s_median_step": o, "ours_tok_s_mean": om, "llama_cpp_tok_s": l,
                             "ratio": (om / l) if om and l else None,
                             "floor": floor if n == 1 else None})
load = open("/proc/loadavg").read().split()[:3]
meta = {"llama_cpp": llama_version, "llama_cpp_bin": bin_dir,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(), "nproc": os.cpu_count(), "load_average_at_end": load,
        "single_stream": "llama-bench -n 128 -p 0 -t T (avg_ts) vs cpu_engine_bench --streams 1 (median step)",
        "multi_stream": f"llama-batched-bench -npp 16 -ntg {2*int(steps)} -npl N (speed_tg) vs cpu_engine_bench --streams N --steps {steps} (median step)",
        "kv_cache": "llama.cpp f16 (its default), ours f32 (the engine's default)"}
json.dump({"meta": meta, "rows": rows}, open(os.path.join(out, "peer-speed.json"), "w"), indent=1)
f = open(os.path.join(out, "peer-speed.md"), "w")
f.write(f"llama.cpp {llama_version}; {meta['date']}; nproc {meta['nproc']}, load average at the end {' '.join(load)}\n\n")
f.write("| model | type | threads | streams | ours tok/s (mean) | ours (median step) | llama.cpp tok/s | ours/llama.cpp (means) | floor tok/s |\n")
f.write("|---|---|---|---|---|---|---|---|---|\n")
fmt = lambda v, d=1: "-" if v is None else f"{v:.{d}f}"
for r in rows:
    fl = r["floor"]["floor_tok_s"] if r["floor"] else None
    f.write(f"| {r['model']} | {r['quant']} | {r['threads']} | {r['streams']} | {fmt(r['ours_tok_s_mean'])} | {fmt(r['ours_tok_s_median_step'])} | "
            f"{fmt(r['llama_cpp_tok_s'])} | {fmt(r['ratio'], 2)}x | {fmt(fl, 0)} |\n")
f.close()
print(open(os.path.join(out, "peer-speed.md")).read())
EOF
echo "wrote $out/peer-speed.json and $out/peer-speed.md" >&2
