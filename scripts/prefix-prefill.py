#!/usr/bin/env python3
"""Prefill time of a request whose prompt shares most of a cached one (issue 15).

Starts `cacheopt serve` on a model, then per repetition sends, one at a time and
streamed with max_tokens 1 (so TTFT is the prefill): a fresh PROMPT-token
prompt A, a prompt B sharing its first SHARE of tokens, and an 8-token prompt
(the per-request floor). Prints the median TTFT of each, B / A, and the
cached_tokens the server reported for B. Only the standard library.

  python3 scripts/prefix-prefill.py [--bin build/cacheopt] [--model M.bin]
      [--threads 1] [--reps 7] [--prompt 400] [--share 0.9] [--policy vllm-v1]
      [--set KEY=VALUE ...]

Without --model it writes a random-weight 15M model (`cacheopt make-model
--config 15m`) to a temporary folder. Times taken on a shared machine are
contended: say so wherever they are quoted.
"""
import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ttft(port, prompt):
    """Seconds from sending to the first streamed token, and the usage seen."""
    body = json.dumps({"prompt": prompt, "max_tokens": 1, "temperature": 0,
                       "stream": True, "stream_options": {"include_usage": True}})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    conn.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    if resp.status != 200:
        sys.exit(f"HTTP {resp.status}: {resp.read()[:300]!r}")
    first = None
    usage = None
    for raw in resp:
        line = raw.decode().strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        chunk = json.loads(data)
        if first is None and chunk.get("choices"):
            first = time.perf_counter() - start
        if chunk.get("usage"):
            usage = chunk["usage"]
    conn.close()
    return first, usage


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/cacheopt")
    ap.add_argument("--model", default="")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--prompt", type=int, default=400)
    ap.add_argument("--share", type=float, default=0.9)
    ap.add_argument("--policy", default="vllm-v1")
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="prefix-prefill-")
    model = a.model
    if not model:
        model = os.path.join(tmp, "m15.bin")
        subprocess.run([a.bin, "make-model", "--config", "15m", "--out", model], check=True,
                       stdout=subprocess.DEVNULL)
    port = free_port()
    cmd = [a.bin, "serve", "--model", model, "--policy", a.policy, "--threads", str(a.threads),
           "--port", str(port)]
    for kv in a.set:
        cmd += ["--set", kv]
    log = open(os.path.join(tmp, "serve.log"), "w")
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 300
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.time() > deadline:
                sys.exit("the server did not come up; see " + log.name)
            time.sleep(0.2)
        rng = random.Random(1)
        shared = int(a.prompt * a.share)
        firsts, seconds, floors, cached = [], [], [], []
        ttft(port, [1] + [rng.randrange(3, 500) for _ in range(30)])  # warm-up
        for _ in range(a.reps):
            p = [1] + [rng.randrange(3, 500) for _ in range(a.prompt - 1)]
            q = p[:shared] + [rng.randrange(3, 500) for _ in range(a.prompt - shared)]
            t1, _ = ttft(port, p)
            t2, u2 = ttft(port, q)
            t3, _ = ttft(port, [1] + [rng.randrange(3, 500) for _ in range(7)])
            firsts.append(t1)
            seconds.append(t2)
            floors.append(t3)
            cached.append(((u2 or {}).get("prompt_tokens_details") or {}).get("cached_tokens"))
        m1, m2, m3 = (statistics.median(x) * 1e3 for x in (firsts, seconds, floors))
        print(f"policy {a.policy} threads {a.threads} reps {a.reps} prompt {a.prompt} shared {shared}")
        print(f"first  (A, {a.prompt} tokens, uncached): median TTFT {m1:.2f} ms")
        print(f"second (B, shares {shared}):             median TTFT {m2:.2f} ms, cached_tokens {cached}")
        print(f"floor  (8-token prompt):                 median TTFT {m3:.2f} ms")
        print(f"B / A = {m2 / m1:.3f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
