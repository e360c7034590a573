#!/usr/bin/env python3
"""cacheopt serve against llama.cpp's llama-server on the same model (issue 18).

Run through scripts/peer-bench.sh, which finds or builds both binaries. For
each model and server: a rate sweep with `cacheopt bench` (one fresh server per
run, pinned to its own core, the client on another), then per TBT SLO a
geometric bisection of the SLO capacity over the same memo of runs, then one
run at 1.25x each capacity for the overload goodput ratio. Writes
OUT/peer-bench.json, OUT/peer-bench.html, OUT/raw/ (every bench result) and
OUT/logs/ (server and client logs). docs/peer-bench.md describes the method.
"""
import argparse
import datetime
import json
import math
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_bench_html  # noqa: E402
import peer_bench_metrics  # noqa: E402

SERVERS = ("cacheopt", "llama-server")
LLAMA_CHOICE = (
    "llama-server -np {slots} -c {total} ({slots} slots x {ctx} tokens): llama.cpp's server README "
    "(tools/server/README.md) gives -np/--parallel as the number of slots, i.e. requests decoded "
    "together by continuous batching (-cb, default on), and -c as the total context; with -np set "
    "explicitly the KV cache is not unified (-kvu is on only for -np auto, which means 4 slots), so "
    "llama_context splits -c evenly (n_ctx_seq = n_ctx / n_seq_max). -c is therefore slots x "
    "{ctx}, giving every slot the full context the client plans for (--max-context {ctx}), as "
    "cacheopt gives every request; requests beyond the slots wait in llama-server's queue. Other "
    "settings are llama-server's defaults (batch 2048, ubatch 512, f16 KV, prompt cache on).")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cacheopt", required=True, help="the cacheopt binary (serve, bench, make-model)")
    p.add_argument("--llama-server", required=True, help="llama.cpp's llama-server binary")
    p.add_argument("--llama-commit", default="", help="llama.cpp source commit, for the report")
    p.add_argument("--models", default="15m,110m", help="make-model configs, comma-separated (default 15m,110m)")
    p.add_argument("--rates", default="auto",
                   help="sweep rates, req/s, comma-separated; auto: from --start-rate, doubling until the "
                        "loosest SLO fails and halving until the tightest passes (default)")
    p.add_argument("--start-rate", default="4,110m=1",
                   help="auto sweep's first rate: a number for every model and/or MODEL=RATE overrides "
                        "(default 4,110m=1)")
    p.add_argument("--min-rate", default="1,110m=0.25",
                   help="auto sweep goes no lower, same syntax (default 1,110m=0.25: a run lasts about "
                        "num-prompts / rate, 800 s at 0.25; a capacity below it is reported as below range)")
    p.add_argument("--max-rate", type=float, default=128.0, help="auto sweep goes no higher (default 128)")
    p.add_argument("--precision", type=float, default=0.1,
                   help="bisection stops when fail/pass rate <= 1 + this (default 0.1)")
    p.add_argument("--overload-multiple", type=float, default=1.25,
                   help="goodput is measured at this multiple of each capacity (default 1.25)")
    p.add_argument("--num-prompts", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dataset", default="azure_conv")
    p.add_argument("--length-scale", type=float, default=8.0)
    p.add_argument("--context", type=int, default=2048, help="per-request context, both servers (default 2048)")
    p.add_argument("--ttft-slo-ms", type=float, default=1000.0)
    p.add_argument("--tbt-slos-ms", default="50,100,200", help="TBT SLOs judged from every run (default 50,100,200)")
    p.add_argument("--slo-hint", choices=("judged", "fixed"), default="judged",
                   help="judged: cacheopt's requests carry the TBT SLO they are judged by (its own sweep per "
                        "SLO); fixed: one sweep carrying the middle SLO, judged at every SLO (default judged)")
    p.add_argument("--criterion", choices=("token", "stall"), default="token",
                   help="capacity test: TTFT and token-level (token) or stall-aware (stall) TBT attainment")
    p.add_argument("--target", type=float, default=0.9, help="attainment the capacity test needs (default 0.9)")
    p.add_argument("--slots", type=int, default=32, help="llama-server -np (default 32)")
    p.add_argument("--threads", type=int, default=1, help="compute threads of each server (default 1)")
    p.add_argument("--max-concurrency", type=int, default=256, help="cacheopt serve --max-concurrency")
    p.add_argument("--server-cpus", default="0", help="taskset list for the servers (default 0)")
    p.add_argument("--client-cpus", default="1", help="taskset list for the client (default 1)")
    p.add_argument("--servers", default=",".join(SERVERS), help="servers to run (default both)")
    p.add_argument("--run-time-limit", type=float, default=600.0,
                   help="bench --time-limit per run, s, or twice num-prompts / rate when longer (default 600)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--quick", action="store_true",
                   help="tests: 15m only, 12 prompts, rates 16, no bisection, no probe (numbers mean nothing)")
    a = p.parse_args(argv)
    if a.quick:
        a.models, a.num_prompts, a.rates, a.precision = "15m", 12, "16", 1e9
    a.models = [m for m in a.models.split(",") if m]
    a.start_rates = per_model(p, "--start-rate", a.start_rate, a.models)
    a.min_rates = per_model(p, "--min-rate", a.min_rate, a.models)
    a.servers = [s for s in a.servers.split(",") if s]
    for s in a.servers:
        if s not in SERVERS:
            p.error(f"--servers: unknown server '{s}'; valid: {', '.join(SERVERS)}")
    try:
        a.tbt_slos = sorted(int(s) for s in a.tbt_slos_ms.split(","))
    except ValueError:
        p.error(f"--tbt-slos-ms: '{a.tbt_slos_ms}' is not a list of whole milliseconds")
    if a.rates != "auto":
        try:
            a.rates = sorted({float(r) for r in a.rates.split(",")})
        except ValueError:
            p.error(f"--rates: '{a.rates}' is neither auto nor a list of numbers")
        if not a.rates or a.rates[0] <= 0:
            p.error("--rates: every rate must be > 0")
    if a.precision <= 0 or a.overload_multiple <= 1 or not 0 < a.target <= 1:
        p.error("--precision must be > 0, --overload-multiple > 1, --target in (0, 1]")
    if a.slots < 1 or a.context < 1 or a.num_prompts < 1:
        p.error("--slots, --context and --num-prompts must be >= 1")
    return a


def per_model(parser, flag, value, models):
    """'4,110m=1' -> {model: rate}: a bare number for every model, MODEL=RATE overrides."""
    rates, default = {}, None
    try:
        for item in value.split(","):
            model, _, rate = item.rpartition("=")
            if model:
                rates[model] = float(rate)
            else:
                default = float(rate)
    except ValueError:
        parser.error(f"{flag}: '{value}' is neither a number nor MODEL=RATE pairs")
    out = {m: rates.get(m, default) for m in models}
    for m, r in out.items():
        if r is None or r <= 0:
            parser.error(f"{flag}: no rate > 0 for model '{m}'")
    return out


def log(msg):
    print(f"peer-bench: {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rate_key(rate):
    return f"{rate:.4g}"


class Runner:
    def __init__(self, args):
        self.a = args
        self.out = os.path.abspath(args.out)
        self.runs = {}  # (model, server, told SLO, rate_key) -> summary row
        self.commands = {}

    def server_command(self, server, model_path, port):
        a = self.a
        if server == "cacheopt":
            cmd = [a.cacheopt, "serve", "--model", model_path, "--threads", str(a.threads),
                   "--max-concurrency", str(a.max_concurrency), "--context", str(a.context),
                   "--host", "127.0.0.1", "--port", str(port)]
        else:
            cmd = [a.llama_server, "-m", model_path, "-t", str(a.threads), "-tb", str(a.threads),
                   "-np", str(a.slots), "-c", str(a.slots * a.context), "--host", "127.0.0.1", "--port", str(port)]
        return ["taskset", "-c", a.server_cpus] + cmd

    def told(self, server, slo):
        """The TBT SLO a server's requests carry when judged at `slo` (None: ignored by the server).

        cacheopt schedules for the ttft_slo_ms / tbt_slo_ms extension fields the client sends
        (docs/bench.md); llama-server ignores unknown fields, so its runs serve every SLO."""
        if server != "cacheopt":
            return None
        return slo if self.a.slo_hint == "judged" else self.mid_slo()

    def mid_slo(self):
        return self.a.tbt_slos[len(self.a.tbt_slos) // 2]

    def time_limit(self, rate):
        """bench --time-limit: --run-time-limit, or twice the send span when that is longer."""
        if rate <= 0:
            return self.a.run_time_limit
        return max(self.a.run_time_limit, math.ceil(2 * self.a.num_prompts / rate))

    def client_command(self, base_url, rate, result_path, told=None):
        a = self.a
        return ["taskset", "-c", a.client_cpus, a.cacheopt, "bench", "--base-url", base_url,
                "--dataset", a.dataset, "--length-scale", f"{a.length_scale:g}", "--num-prompts", str(a.num_prompts),
                "--seed", str(a.seed), "--ignore-eos", "--max-context", str(a.context),
                "--ttft-slo-ms", f"{a.ttft_slo_ms:g}", "--tbt-slo-ms", str(told or self.mid_slo()),
                "--rate", rate_key(rate), "--time-limit", f"{self.time_limit(rate):g}", "--quiet",
                "--save-result", result_path] + (["--no-probe"] if a.quick else [])

    def wait_ready(self, proc, port, log_path, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode} before it was ready; see {log_path}:\n"
                                   + tail(log_path))
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"server not ready after {timeout} s; see {log_path}")

    def run(self, model, model_path, server, told, rate):
        key = (model, server, told, rate_key(rate))
        if key in self.runs:
            return self.runs[key]
        a = self.a
        name = f"{model}-{server}{'-tbt' + str(told) if told else ''}-r{rate_key(rate)}"
        raw = os.path.join(self.out, "raw", name + ".json")
        server_log = os.path.join(self.out, "logs", name + ".server.log")
        client_log = os.path.join(self.out, "logs", name + ".bench.log")
        if os.path.exists(raw):
            os.remove(raw)  # a rerun into the same --out must not read an older run's result
        port = free_port()
        cmd = self.server_command(server, model_path, port)
        self.commands[server] = shlex.join(self.server_command(server, "MODEL", 0)).replace("--port 0", "--port PORT")
        log(f"{model} {server}{' (told TBT ' + str(told) + ' ms)' if told else ''} at {rate_key(rate)} req/s")
        with open(server_log, "w") as slog:
            proc = subprocess.Popen(cmd, stdout=slog, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.wait_ready(proc, port, server_log)
            client = self.client_command(f"http://127.0.0.1:{port}", rate, raw, told)
            with open(client_log, "w") as clog:
                rc = subprocess.run(client, stdout=clog, stderr=subprocess.STDOUT).returncode
            if rc not in (0, 1) or not os.path.exists(raw):
                raise RuntimeError(f"bench exited with {rc}; see {client_log}:\n" + tail(client_log))
        finally:
            stop(proc)
        with open(raw) as f:
            result = json.load(f)
        row = peer_bench_metrics.summarize(result, a.ttft_slo_ms, a.tbt_slos, a.criterion, a.target)
        row["rate_rps"] = float(rate_key(rate))
        row["raw"] = os.path.relpath(raw, self.out)
        row["told_tbt_slo_ms"] = told
        self.runs[key] = row
        verdicts = " ".join(f"{s}ms:{'pass' if row['slo'][str(s)]['passes'] else 'fail'}" for s in a.tbt_slos)
        log(f"  served {row['served_rps']:.2f} req/s, failed {row['failed']}, p95 ITL {row['p95_itl_ms']:.1f} ms; "
            f"{verdicts}")
        return row

    def passes(self, model, server, told, rate, slo):
        return self.runs[(model, server, told, rate_key(rate))]["slo"][str(slo)]["passes"]

    def sweep(self, model, model_path, server, told, slos):
        """The sweep's rates for the runs carrying `told`, judged at `slos`."""
        a = self.a
        if a.rates != "auto":
            for r in a.rates:
                self.run(model, model_path, server, told, r)
            return list(a.rates)
        loose, tight = max(slos), min(slos)
        start = a.start_rates[model]
        rates = [start]
        self.run(model, model_path, server, told, start)
        r = start
        while self.passes(model, server, told, r, loose) and r * 2 <= a.max_rate:
            r *= 2
            rates.append(r)
            self.run(model, model_path, server, told, r)
        r = start
        while not self.passes(model, server, told, r, tight) and r / 2 >= a.min_rates[model]:
            r /= 2
            rates.append(r)
            self.run(model, model_path, server, told, r)
        return sorted(rates)

    def capacity(self, model, model_path, server, told, rates, slo):
        """FindCapacity's bisection (src/sim/capacity.cc), bracketed by the sweep: the last rate
        passing before the first failing one, then geometric bisection between them."""
        lo = hi = None
        for r in rates:
            if self.passes(model, server, told, r, slo):
                lo = r
            else:
                hi = r
                break
        cap = {"below_range": lo is None, "above_range": hi is None, "lowest_rate_rps": rates[0],
               "probes": []}
        if lo is None:
            cap.update(capacity_rps=0.0, first_fail_rps=rates[0])
            return cap
        if hi is None:
            cap.update(capacity_rps=lo, first_fail_rps=None)
            return cap
        while hi / lo > 1 + self.a.precision:
            mid = float(rate_key(math.sqrt(lo * hi)))
            if mid in (lo, hi):
                break
            self.run(model, model_path, server, told, mid)
            ok = self.passes(model, server, told, mid, slo)
            cap["probes"].append({"rate_rps": mid, "passes": ok})
            if ok:
                lo = mid
            else:
                hi = mid
        cap.update(capacity_rps=lo, first_fail_rps=hi)
        return cap

    def overload(self, model, model_path, server, told, cap, slo):
        if cap["below_range"]:
            return {"ratio": None, "note": "no capacity in the range run"}
        rate = float(rate_key(cap["capacity_rps"] * self.a.overload_multiple))
        row = self.run(model, model_path, server, told, rate)
        mine = [(r["slo"][str(slo)]["slo_goodput_rps"], r["rate_rps"]) for (m, s, t, _), r in self.runs.items()
                if m == model and s == server and t == told]
        peak, peak_rate = max(mine)
        good = row["slo"][str(slo)]["slo_goodput_rps"]
        return {"rate_rps": rate, "goodput_rps": good, "peak_goodput_rps": peak, "peak_rate_rps": peak_rate,
                "ratio": good / peak if peak > 0 else None,
                "capacity_is_lower_bound": cap["above_range"]}

    def model(self, model):
        path = os.path.join(self.out, f"m{model}.gguf")
        made = subprocess.run([self.a.cacheopt, "make-model", "--config", model, "--out", path],
                              capture_output=True, text=True)
        if made.returncode != 0:
            raise RuntimeError(f"make-model --config {model} failed: {made.stderr.strip()}")
        entry = {"model_description": made.stdout.strip(), "servers": {}, "capacity_ratio": {}}
        for server in self.a.servers:
            caps, over = {}, {}
            groups = {}  # told SLO -> the SLOs judged from its runs
            for slo in self.a.tbt_slos:
                groups.setdefault(self.told(server, slo), []).append(slo)
            for told, slos in groups.items():
                rates = self.sweep(model, path, server, told, slos)
                for slo in slos:
                    caps[str(slo)] = self.capacity(model, path, server, told, rates, slo)
                for slo in slos:
                    over[str(slo)] = self.overload(model, path, server, told, caps[str(slo)], slo)
            runs = sorted((r for (m, s, _, _), r in self.runs.items() if m == model and s == server),
                          key=lambda r: (r["told_tbt_slo_ms"] or 0, r["rate_rps"]))
            entry["servers"][server] = {"runs": runs, "capacity": caps, "overload": over}
        if all(s in entry["servers"] for s in SERVERS):
            for slo in self.a.tbt_slos:
                ours = entry["servers"]["cacheopt"]["capacity"][str(slo)]
                theirs = entry["servers"]["llama-server"]["capacity"][str(slo)]
                ratio = None
                if theirs["capacity_rps"] > 0:
                    ratio = ours["capacity_rps"] / theirs["capacity_rps"]
                entry["capacity_ratio"][str(slo)] = ratio
        os.remove(path)
        return entry


def tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def stop(proc):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main(argv):
    a = parse_args(argv)
    runner = Runner(a)
    for d in ("raw", "logs"):
        os.makedirs(os.path.join(runner.out, d), exist_ok=True)
    started = time.monotonic()
    models = {}
    for model in a.models:
        models[model] = runner.model(model)
    mid_slo = runner.mid_slo()
    hint = ("cacheopt's requests carry the TBT SLO they are judged by (ttft_slo_ms / tbt_slo_ms, our "
            "extension fields), so cacheopt has one sweep per TBT SLO; llama-server ignores those fields, "
            "so one sweep of it is judged at every SLO" if a.slo_hint == "judged" else
            f"every request carries TBT {mid_slo} ms; one sweep per server is judged at every SLO")
    tbt_name = "token-level" if a.criterion == "token" else "stall-aware (own p95 gap and longest gap <= 1 s)"
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "elapsed_s": round(time.monotonic() - started, 1),
        "setup": {
            "quick": a.quick,
            "host": f"{platform.node()} ({os.cpu_count()} CPUs)",
            "models": a.models,
            "workload": (f"{a.dataset}, lengths / {a.length_scale:g}, {a.num_prompts} requests, seed {a.seed}, "
                         f"Poisson arrivals, --ignore-eos, context {a.context}; TTFT SLO {a.ttft_slo_ms:g} ms; "
                         f"TBT SLOs {', '.join(map(str, a.tbt_slos))} ms: {hint}. Attainment at each SLO is "
                         f"recomputed from the saved per-request data; at the target the client itself judged, "
                         f"every run's recomputation is checked against the client's own figures."),
            "tbt_slos_ms": a.tbt_slos,
            "ttft_slo_ms": a.ttft_slo_ms,
            "num_prompts": a.num_prompts,
            "seed": a.seed,
            "rates": a.rates,
            "precision": a.precision,
            "overload_multiple": a.overload_multiple,
            "capacity_criterion": (
                f"the highest offered rate at which TTFT attainment and {tbt_name} TBT attainment are both "
                f">= {a.target:.0%} and no request fails (the real-engine capacity search, docs/real-engine.md; "
                f"CACHEOPT.md 'Capacity'), one run per rate. Bracket: the last swept rate passing before the "
                f"first failing one; then geometric bisection until fail/pass <= {1 + a.precision:g} "
                f"(FindCapacity, src/sim/capacity.cc)."),
            "criterion": a.criterion,
            "slo_hint": a.slo_hint,
            "target": a.target,
            "llama_server_choice": LLAMA_CHOICE.format(slots=a.slots, total=a.slots * a.context, ctx=a.context),
            "llama_cpp_commit": a.llama_commit,
            "server_commands": runner.commands,
            "client_command": shlex.join(runner.client_command("http://127.0.0.1:PORT", 0, "RESULT.json"))
                               .replace("--rate 0", "--rate RATE")
                               .replace(f"--tbt-slo-ms {mid_slo}", "--tbt-slo-ms TBT_SLO"),
            "pinning": (f"servers pinned to CPUs {a.server_cpus} with {a.threads} compute thread(s); the client to "
                        f"CPUs {a.client_cpus}; one server at a time, a fresh process per run."),
            "argv": argv,
        },
        "models": models,
    }
    with open(os.path.join(runner.out, "peer-bench.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(runner.out, "peer-bench.html"), "w") as f:
        f.write(peer_bench_html.render(report))
    with open(os.path.join(runner.out, "summary.md"), "w") as f:
        f.write(peer_bench_html.render_markdown(report))
    for model, m in models.items():
        for slo in a.tbt_slos:
            caps = {s: m["servers"][s]["capacity"][str(slo)]["capacity_rps"] for s in m["servers"]}
            over = {s: m["servers"][s]["overload"][str(slo)].get("ratio") for s in m["servers"]}
            log(f"{model} TBT {slo} ms: capacity {caps}, ratio {m['capacity_ratio'].get(str(slo))}; "
                f"goodput at {a.overload_multiple:g}x capacity / peak {over}")
    log(f"wrote {runner.out}/peer-bench.json and peer-bench.html in {report['elapsed_s']} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (RuntimeError, ValueError) as e:
        log(f"error: {e}")
        sys.exit(1)
