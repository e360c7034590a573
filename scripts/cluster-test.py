#!/usr/bin/env python3
"""Three `cacheopt serve` replicas behind HAProxy (scripts/cluster.sh), on
loopback, checked end to end (issue 16, item 2):

  1. weights: one replica is also fed long prompts directly (not through
     HAProxy), so its agent reports a lower weight; short requests through
     HAProxy then split across the replicas as the weights HAProxy applied
     (read from its stats page every 100 ms) say they should;
  2. kill: SIGKILL one replica under load: it leaves rotation (HAProxy marks
     it DOWN) and no client request fails except those it was serving when
     it died (each failure started before the kill);
  3. drain: SIGTERM another under load: its agent says "drain" and HAProxy
     stops sending it work, no client request fails, and the replica exits 0
     once its in-flight requests are done.

Usage: scripts/cluster-test.py CACHEOPT_BINARY WORK_DIR
       scripts/cluster-test.py CACHEOPT_BINARY WORK_DIR --measure SECONDS
The second form is the measurement of docs/scale-out.md: the same skewed load
against a cluster with agent weights and one with `balance roundrobin` and
static weights, one after the other in one run; it prints both p99 TTFTs.
Exit 77 (CTest: skipped) when haproxy is not installed. Standard library only.
"""
import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CLUSTER = os.path.join(HERE, "cluster.sh")


def log(msg):
    print(msg, flush=True)


class Cluster:
    def __init__(self, binary, work, extra_opts=(), serve_flags=()):
        self.dir = work
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        cmd = [CLUSTER, "start", "3", work, "--binary", binary, "--grace", "5", *extra_opts, "--", *serve_flags]
        subprocess.run(cmd, check=True, timeout=120)
        env = {}
        with open(os.path.join(work, "cluster.env")) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                env[k] = v.strip('"')
        self.front = env["FRONT"]
        self.stats = env["STATS"]
        self.ports = [int(p) for p in env["REPLICAS"].split()]
        with open(os.path.join(work, "pids")) as f:
            self.pids = [int(p) for p in f.read().split()]  # replicas, then HAProxy

    def stop(self):
        subprocess.run([CLUSTER, "stop", self.dir], timeout=60)

    def servers(self):
        """HAProxy's view: {name: (status, effective weight)}."""
        with urllib.request.urlopen(self.stats + ";csv", timeout=2) as r:
            text = r.read().decode().lstrip("# ")
        out = {}
        for row in csv.DictReader(io.StringIO(text)):
            if row["pxname"] == "replicas" and row["svname"].startswith("r"):
                out[row["svname"]] = (row["status"], int(row["weight"] or 0))
        return out


def completion(url, prompt, max_tokens, timeout=60, stream=False, ignore_eos=False):
    """One request: (ok, replica header, ttft seconds, error)."""
    body = json.dumps({"prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": stream,
                       "ignore_eos": ignore_eos}).encode()
    req = urllib.request.Request(url + "/v1/completions", data=body, headers={"Content-Type": "application/json"})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            replica = r.headers.get("X-Replica", "")
            ttft = None
            if stream:
                for line in r:
                    if ttft is None and line.startswith(b"data: {"):
                        ttft = time.monotonic() - t0
            else:
                r.read()
                ttft = time.monotonic() - t0
            return True, replica, ttft, ""
    except urllib.error.HTTPError as e:
        return False, e.headers.get("X-Replica", ""), None, "HTTP %d %s" % (e.code, e.read()[:200])
    except Exception as e:  # connection reset, timeout
        return False, "", None, repr(e)


class Load:
    """`workers` threads sending requests back to back until stop()."""

    def __init__(self, url, workers, prompt, max_tokens, stream=False, ignore_eos=False):
        self.records = []  # (start, end, ok, replica, ttft, error)
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(url, prompt, max_tokens, stream, ignore_eos))
                        for _ in range(workers)]
        for t in self.threads:
            t.start()

    def run(self, url, prompt, max_tokens, stream, ignore_eos):
        while not self.halt.is_set():
            t0 = time.monotonic()
            ok, replica, ttft, err = completion(url, prompt, max_tokens, stream=stream, ignore_eos=ignore_eos)
            with self.lock:
                self.records.append((t0, time.monotonic(), ok, replica, ttft, err))

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join()
        return self.records


LONG_PROMPT = " ".join(["Once upon a time there was a little girl who liked to play in the park."] * 8)


def skew_load(cluster):
    """Long requests straight to replica 0 (HAProxy never sees them): more
    KV than its pool holds at once, so its KV use stays high and some wait."""
    return Load("http://127.0.0.1:%d" % cluster.ports[0], 2, LONG_PROMPT, 300, ignore_eos=True)


def sample_weights(cluster, seconds, every=0.1):
    """HAProxy's effective weights, sampled: {name: [weights]}."""
    seen = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for name, (_, w) in cluster.servers().items():
            seen.setdefault(name, []).append(w)
        time.sleep(every)
    return seen


def check_weights(cluster, failures):
    skew = skew_load(cluster)
    time.sleep(1.0)  # the agent's next reports (every 250 ms) show it
    routed = Load(cluster.front, 4, "Once upon a time", 4)
    weights = sample_weights(cluster, 8.0)
    records = routed.stop()
    skew.stop()
    mean = {n: sum(w) / len(w) for n, w in weights.items()}
    total_w = sum(mean.values())
    counts = {n: 0 for n in mean}
    for _, _, ok, replica, _, _ in records:
        if ok and replica in counts:
            counts[replica] += 1
    n = sum(counts.values())
    log("weights: %d routed requests; per replica: mean HAProxy weight, expected share, measured share" % n)
    for name in sorted(mean):
        log("  %s: %6.1f  %5.3f  %5.3f" % (name, mean[name], mean[name] / total_w, counts[name] / max(n, 1)))
    others = (mean["r1"] + mean["r2"]) / 2
    if not mean["r0"] < 0.8 * others:
        failures.append("the directly loaded replica's weight (%.1f) is not below the others' (%.1f)" % (mean["r0"], others))
    for name in mean:
        if abs(mean[name] / total_w - counts[name] / max(n, 1)) > 0.12:
            failures.append("%s's share %.3f is far from its weight share %.3f" % (name, counts[name] / n, mean[name] / total_w))
    bad = [r for r in records if not r[2]]
    if bad:
        failures.append("%d routed requests failed in the weights phase: %s" % (len(bad), bad[0][5]))
    if n < 50:
        failures.append("only %d routed requests completed" % n)


def check_kill(cluster, failures):
    load = Load(cluster.front, 6, "Once upon a time", 16)
    time.sleep(1.0)
    killed_at = time.monotonic()
    os.kill(cluster.pids[1], signal.SIGKILL)
    # It serves until the kernel has closed its sockets (its threads finish
    # a moment after the signal): requests routed to it before then are
    # "those it was serving". Closed: its port refuses connections.
    while accepts(cluster.ports[1]) and time.monotonic() - killed_at < 2:
        time.sleep(0.001)
    dead_at = time.monotonic()
    down_after = None
    while time.monotonic() - killed_at < 5:
        if cluster.servers()["r1"][0].startswith("DOWN"):
            down_after = time.monotonic() - killed_at
            break
        time.sleep(0.05)
    time.sleep(1.0)
    records = load.stop()
    failed = [r for r in records if not r[2]]
    after = [r for r in failed if r[0] >= dead_at]
    late = [r for r in records if r[2] and r[3] == "r1" and r[0] >= dead_at]
    log("kill: %d requests, %d failed (started %s s from the kill; it was gone after %.3f s); r1 DOWN in HAProxy "
        "after %s s" % (len(records), len(failed), ", ".join("%+.3f" % (r[0] - killed_at) for r in failed) or "-",
                        dead_at - killed_at, "%.2f" % down_after if down_after is not None else "never"))
    if down_after is None:
        failures.append("the killed replica never left rotation")
    if after:
        failures.append("%d requests started after the killed replica was gone failed: %s" % (len(after), after[0][5]))
    if len(failed) > 6:
        failures.append("%d requests failed, more than the 6 that could be in flight" % len(failed))
    if late:
        failures.append("%d requests started after the kill were answered by the dead replica" % len(late))


def check_drain(cluster, failures):
    load = Load(cluster.front, 4, "Once upon a time", 16)
    time.sleep(1.0)
    proc_pid = cluster.pids[2]
    drained_at = time.monotonic()
    os.kill(proc_pid, signal.SIGTERM)
    state_after = None
    while time.monotonic() - drained_at < 5:
        status = cluster.servers()["r2"][0]
        if status.startswith(("DRAIN", "DOWN", "MAINT", "NOLB")):
            state_after = (status, time.monotonic() - drained_at)
            break
        time.sleep(0.02)
    # The replica exits once its in-flight requests finished (grace 5 s).
    exited = None
    while time.monotonic() - drained_at < 10:
        if not alive(proc_pid):
            exited = time.monotonic() - drained_at
            break
        time.sleep(0.05)
    time.sleep(0.5)
    records = load.stop()
    failed = [r for r in records if not r[2]]
    late = [r for r in records if r[2] and r[3] == "r2" and r[0] >= drained_at + 1.0]
    log("drain: %d requests, %d failed; r2 %s in HAProxy after %s s; process gone after %s s" %
        (len(records), len(failed), state_after[0] if state_after else "never left",
         "%.2f" % state_after[1] if state_after else "-", "%.2f" % exited if exited is not None else "never"))
    if failed:
        failures.append("%d requests failed during the drain: %s" % (len(failed), failed[0][5]))
    if state_after is None:
        failures.append("HAProxy never took the draining replica out of rotation")
    if exited is None:
        failures.append("the draining replica did not exit")
    if late:
        failures.append("%d requests started 1 s after SIGTERM still went to the draining replica" % len(late))
    with open(os.path.join(cluster.dir, "replica2.log")) as f:
        text = f.read()
    if "SIGTERM: draining" not in text or "serve: stopped" not in text:
        failures.append("replica 2's log shows no clean drain:\n" + text[-500:])


def accepts(port):
    """Something listens on 127.0.0.1:port."""
    s = socket.socket()
    try:
        s.settimeout(0.5)
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def alive(pid):
    """The process runs (not gone, not a zombie): replicas are cluster.sh's
    children, not ours, so there is no waitpid."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def check_failed_starts(binary, work, failures):
    """Bad input: the script exits 1 and leaves no process behind, whether
    the replicas fail or HAProxy does after they started."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    cases = (("a replica fails", ["--", "--policy", "no-such-policy"]),
             ("HAProxy fails", ["--front-port", str(busy.getsockname()[1]), "--", *SERVE_FLAGS]))
    for label, args in cases:
        d = os.path.join(work, "bad")
        shutil.rmtree(d, ignore_errors=True)
        r = subprocess.run([CLUSTER, "start", "3", d, "--binary", binary, *args], capture_output=True, text=True,
                           timeout=120)
        with open(os.path.join(d, "pids.stopped")) as f:
            pids = [int(p) for p in f.read().split()]
        left = [p for p in pids if alive(p)]
        log("failed start (%s): exit %d, %d processes started, %d left; %s" %
            (label, r.returncode, len(pids), len(left), r.stderr.strip().splitlines()[-1] if r.stderr else ""))
        if r.returncode != 1 or left or not pids:
            failures.append("failed start (%s): exit %d, processes left %s" % (label, r.returncode, left))
    busy.close()


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(0.99 * len(xs)))] if xs else float("nan")


def measure(binary, work, seconds):
    """Agent weights vs static roundrobin under the same skewed load."""
    results = []
    for label, opts in (("agent weights (roundrobin)", ["--balance", "roundrobin"]),
                        ("static roundrobin", ["--balance", "roundrobin", "--no-agent"])):
        c = Cluster(binary, os.path.join(work, label.split()[0]), opts, SERVE_FLAGS)
        try:
            skew = skew_load(c)
            time.sleep(1.0)
            routed = Load(c.front, 4, "Once upon a time there was", 32, stream=True)
            time.sleep(seconds)
            recs = routed.stop()
            skew.stop()
        finally:
            c.stop()
        ttfts = [r[4] for r in recs if r[2] and r[4] is not None]
        per = {}
        for r in recs:
            if r[2]:
                per[r[3]] = per.get(r[3], 0) + 1
        results.append((label, len(ttfts), p99(ttfts), sorted(ttfts)[len(ttfts) // 2] if ttfts else float("nan"),
                        sum(1 for r in recs if not r[2]), per))
    log("| HAProxy | requests | p50 TTFT ms | p99 TTFT ms | failed | per replica |")
    log("|---|---|---|---|---|---|")
    for label, n, p, med, bad, per in results:
        log("| %s | %d | %.1f | %.1f | %d | %s |" % (label, n, med * 1e3, p * 1e3, bad,
                                                  ", ".join("%s %d" % kv for kv in sorted(per.items()))))


# Small KV and a low concurrency cap, so that the direct long prompts fill
# replica 0 (its KV use and queue rise) on a 2-core machine.
SERVE_FLAGS = ["--threads", "1", "--policy", "vllm", "--kv-device-blocks", "48", "--max-concurrency", "8",
               "--max-queue", "64"]


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary, work = sys.argv[1], sys.argv[2]
    if shutil.which("haproxy") is None:
        print("no haproxy (apt-get install haproxy): skipped")
        return 77
    if len(sys.argv) >= 5 and sys.argv[3] == "--measure":
        measure(binary, work, float(sys.argv[4]))
        return 0
    failures = []
    t0 = time.monotonic()
    check_failed_starts(binary, work + "-bad", failures)
    c = Cluster(binary, work, (), SERVE_FLAGS)
    try:
        check_weights(c, failures)
        check_kill(c, failures)
        check_drain(c, failures)
    finally:
        c.stop()
    log("cluster test: %.1f s" % (time.monotonic() - t0))
    for f in failures:
        log("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
