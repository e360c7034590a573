#!/usr/bin/env python3
"""An independent decoder of `cacheopt serve`'s KV events (Debian's python3-zmq
and python3-msgpack; nothing of ours): subscribes before any request, sends
rounds of token-id prompts that share prefixes through a device tier small
enough to evict, and checks

  - every message is [topic, 8-byte big-endian sequence, msgpack EventBatch]
    with sequence numbers 0, 1, 2, ... (gapless);
  - each batch decodes as vLLM v0.11.2's array_like structs: [ts, events, 0],
    BlockStored/BlockRemoved/AllBlocksCleared tagged by name, medium "GPU";
  - replayed into a set of block hashes, a stored hash is new and a removed
    one present; each stored block's parent was stored before, and its
    tokens, chained from its parents, are a prefix of a prompt sent;
  - after a flush (every answer back, no message for 0.5 s), what it rebuilt
    matches the server's /metrics: vllm:kv_cache_usage_perc x num_gpu_blocks
    is 0 (no request holds a block) and the set has exactly
    cacheopt_prefix_cache_blocks hashes, all of them evictable
    (cacheopt_prefix_cache_evictable_blocks);
  - the replay socket returns the kept batches byte for byte from a start
    sequence, then the end marker (-1, empty);
  - a second server asked for a taken events port exits at once with an
    error naming it.
Exit 77 (CTest: skipped) without python3-zmq or python3-msgpack.
Usage: kv_events_client.py CACHEOPT_BINARY WORK_DIR
"""
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

try:
    import msgpack
    import zmq
except ImportError as e:
    print(f"skipped: {e} (apt-get install python3-zmq python3-msgpack)")
    sys.exit(77)

BIN, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
TOPIC = "kv-test"
DEVICE_BLOCKS = 32
END_SEQ = (-1).to_bytes(8, "big", signed=True)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def start_server(log_path, extra):
    log = open(log_path, "w")
    p = subprocess.Popen([BIN, "serve", "--port", "0", "--threads", "2", "--policy", "vllm-v1",
                          "--kv-device-blocks", str(DEVICE_BLOCKS)] + extra,
                         stdout=subprocess.DEVNULL, stderr=log)
    return p


def wait_for(log_path, pattern, proc, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern, open(log_path).read(), re.M)
        if m:
            return m
        if proc.poll() is not None:
            return None
        time.sleep(0.1)
    return None


def metrics(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    def value(name):
        m = re.search(r"^" + re.escape(name) + r"(\{[^}]*\})? (\S+)$", text, re.M)
        if not m:
            fail(f"/metrics has no {name}")
        return float(m.group(2)), m.group(1) or ""
    usage, _ = value("vllm:kv_cache_usage_perc")
    _, labels = value("vllm:cache_config_info")
    gpu_blocks = int(re.search(r'num_gpu_blocks="(\d+)"', labels).group(1))
    block_size = int(re.search(r'block_size="(\d+)"', labels).group(1))
    cached, _ = value("cacheopt_prefix_cache_blocks")
    evictable, _ = value("cacheopt_prefix_cache_evictable_blocks")
    return usage, gpu_blocks, block_size, int(cached), int(evictable)


MODEL = None  # the served model's name, from /v1/models


def complete(port, prompt, results, i):
    body = json.dumps({"model": MODEL, "prompt": prompt, "max_tokens": 8, "temperature": 0}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/completions", body,
                                 {"Content-Type": "application/json"})
    try:
        results[i] = json.loads(urllib.request.urlopen(req, timeout=120).read())
    except Exception as e:  # noqa: BLE001
        results[i] = e


class Replayer:
    """The block set a router would rebuild from the stream."""

    def __init__(self, prompts_sent):
        self.blocks = set()
        self.prefix = {}  # hash -> the tokens up to and including its block
        self.prompts = prompts_sent
        self.counts = {"BlockStored": 0, "BlockRemoved": 0, "AllBlocksCleared": 0}

    def apply(self, event, block_size):
        kind = event[0]
        if kind not in self.counts:
            fail(f"unknown event tag {kind!r}")
        self.counts[kind] += 1
        if kind == "AllBlocksCleared":
            if len(event) != 1:
                fail(f"AllBlocksCleared has fields: {event}")
            self.blocks.clear()
            return
        if kind == "BlockRemoved":
            if len(event) != 3 or event[2] != "GPU":
                fail(f"bad BlockRemoved {event}")
            for h in event[1]:
                if h not in self.blocks:
                    fail(f"removed block {h} was not stored")
                self.blocks.remove(h)
            return
        if len(event) != 7:
            fail(f"BlockStored has {len(event)} fields, expected 7: {event}")
        _, hashes, parent, tokens, bs, lora, medium = event
        if bs != block_size or lora is not None or medium != "GPU":
            fail(f"bad BlockStored block_size/lora_id/medium: {event}")
        if len(tokens) != len(hashes) * bs:
            fail(f"BlockStored with {len(hashes)} blocks carries {len(tokens)} tokens")
        if parent is not None and parent not in self.prefix:
            fail(f"parent {parent} was never stored")
        seq = list(self.prefix[parent]) if parent is not None else []
        for k, h in enumerate(hashes):
            if not isinstance(h, int):
                fail(f"block hash {h!r} is not an int")
            if h in self.blocks:
                fail(f"block {h} stored twice")
            self.blocks.add(h)
            seq += tokens[k * bs:(k + 1) * bs]
            self.prefix[h] = tuple(seq)
            if not any(p[:len(seq)] == seq[:len(p)] for p in self.prompts):
                fail(f"block {h}'s tokens are no prefix of a prompt sent")


def main():
    log_path = os.path.join(WORK, "serve.log")
    proc = start_server(log_path, ["--kv-events-endpoint", "tcp://127.0.0.1:*",
                                   "--kv-events-replay-endpoint", "tcp://127.0.0.1:*",
                                   "--kv-events-topic", TOPIC])
    try:
        m = wait_for(log_path, r"^serve: KV events on (\S+), replay on (\S+),", proc)
        if not m:
            fail("no KV events line:\n" + open(log_path).read())
        pub_ep, replay_ep = m.group(1), m.group(2)
        port = int(re.search(r"listening on http://[^:]*:(\d+)", open(log_path).read()).group(1))
        if not wait_for(log_path, r"^serve: ready", proc):
            fail("server not ready:\n" + open(log_path).read())

        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt_string(zmq.SUBSCRIBE, TOPIC)
        sub.connect(pub_ep)
        time.sleep(0.5)  # a PUB drops what it sends before the SUB has joined

        global MODEL
        models = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=10).read())
        MODEL = models["data"][0]["id"]
        usage, gpu_blocks, block_size, _, _ = metrics(port)
        if gpu_blocks != DEVICE_BLOCKS:
            fail(f"num_gpu_blocks {gpu_blocks} != {DEVICE_BLOCKS}")
        rng = random.Random(7)
        families = [[rng.randrange(3, 500) for _ in range(4 * block_size)] for _ in range(3)]
        prompts = []
        replayer = Replayer(prompts)
        received = []  # (seq, payload)
        for rnd in range(6):
            batch = []
            for _ in range(5):
                fam = rng.choice(families)
                shared = rng.randrange(0, len(fam) + 1)
                tail = [rng.randrange(3, 500) for _ in range(rng.randrange(1, 3 * block_size))]
                batch.append(fam[:shared] + tail)
            prompts.extend(batch)
            results = [None] * len(batch)
            threads = [threading.Thread(target=complete, args=(port, p, results, i)) for i, p in enumerate(batch)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for r in results:
                if not isinstance(r, dict):
                    fail(f"a completion failed: {r}")
            # The flush: every answer is back; take what the stream still holds.
            while sub.poll(500):
                frames = sub.recv_multipart()
                if len(frames) != 3:
                    fail(f"a message of {len(frames)} frames")
                topic, seq_bytes, payload = frames
                if topic.decode() != TOPIC or len(seq_bytes) != 8:
                    fail(f"bad topic/sequence frames {frames[:2]}")
                seq = int.from_bytes(seq_bytes, "big")
                if seq != len(received):
                    fail(f"sequence gap: got {seq}, expected {len(received)}")
                received.append((seq, payload))
                batch_obj = msgpack.unpackb(payload, raw=False, strict_map_key=False)
                if not (isinstance(batch_obj, list) and len(batch_obj) == 3 and isinstance(batch_obj[0], float)
                        and isinstance(batch_obj[1], list) and batch_obj[2] == 0):
                    fail(f"not an EventBatch [ts, events, 0]: {batch_obj!r:.200}")
                if abs(batch_obj[0] - time.time()) > 120:
                    fail(f"ts {batch_obj[0]} is not the wall clock")
                for ev in batch_obj[1]:
                    replayer.apply(ev, block_size)
            usage, gpu_blocks, _, cached, evictable = metrics(port)
            held = round(usage * gpu_blocks)
            print(f"round {rnd}: {len(received)} batches, {replayer.counts}, set {len(replayer.blocks)}, "
                  f"usage x num_gpu_blocks {held}, cached {cached}, evictable {evictable}")
            if held != 0:
                fail(f"after the flush {held} blocks are still in use")
            if len(replayer.blocks) != cached or cached != evictable:
                fail(f"rebuilt set of {len(replayer.blocks)} blocks != the server's {cached} cached "
                     f"({evictable} evictable)")
        if replayer.counts["BlockRemoved"] == 0:
            fail("no eviction happened: the test did not exercise BlockRemoved")

        # Replay: everything from 0, then from the middle.
        dealer = ctx.socket(zmq.DEALER)
        dealer.setsockopt(zmq.RCVTIMEO, 10000)
        dealer.connect(replay_ep)
        for start in (0, len(received) // 2):
            dealer.send_multipart([b"", start.to_bytes(8, "big")])
            got = []
            while True:
                empty, seq_bytes, payload = dealer.recv_multipart()
                if empty != b"":
                    fail("replay reply without the empty delimiter")
                if seq_bytes == END_SEQ:
                    if payload != b"":
                        fail("end marker with a payload")
                    break
                got.append((int.from_bytes(seq_bytes, "big"), payload))
            if got != received[start:]:
                fail(f"replay from {start} returned {len(got)} batches, not the {len(received) - start} published")
        print(f"replay: ok ({len(received)} batches byte for byte)")

        # A taken port: a second server must refuse at once and say which.
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        log2 = os.path.join(WORK, "serve2.log")
        p2 = start_server(log2, ["--kv-events-endpoint", f"tcp://*:{taken}"])
        try:
            rc = p2.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p2.kill()
            fail("the server with a taken events port did not exit")
        err = open(log2).read()
        if rc == 0 or f"--kv-events-endpoint tcp://*:{taken}" not in err or "in use" not in err:
            fail(f"taken port: exit {rc}, stderr:\n{err}")
        holder.close()
        print("taken port: " + err.strip().splitlines()[-1])
        sub.close(0)
        dealer.close(0)
        ctx.term()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    print("PASS")


main()
