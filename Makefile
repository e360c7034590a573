# Entry points that do all set-up on a fresh Debian 12 machine:
#   make run      - start the OpenAI-compatible server (prints a curl example)
#   make compare  - the simulation main job (every policy on the default workload)
#   make test     - build and run every test
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: run test build deps asan tsan bench clean experiment experiment-quick experiment-robust experiment-tune fuzz fuzz-smoke

deps:
	@bash scripts/install-deps.sh

$(BUILD)/Makefile: deps CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/cacheopt serve $(SERVE_ARGS)

.PHONY: compare
compare: build
	$(BUILD)/cacheopt compare

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCACHEOPT_SANITIZE=ON -DCACHEOPT_BENCH=OFF $(ASAN_CMAKE_ARGS)
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

# The server's tests (live servers, engine thread, HTTP threads, the bench
# client against them) under ThreadSanitizer. OpenBLAS's own threads are not
# instrumented, so they are kept to one.
tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCACHEOPT_TSAN=ON -DCACHEOPT_BENCH=OFF
	cmake --build build-tsan -j $(JOBS) --target integration_tests cacheopt_server_tests cacheopt_loadgen_tests cacheopt
	cd build-tsan && OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j $(JOBS) \
	  -R 'ServeTest|ServeLimits|BenchClient|openai_npm|overload_short|RequestQueue|RequestSink|RequestHeadLimit|ConnectionRefuser|EngineLoop|Server'

# libFuzzer targets (docs/fuzzing.md), built with clang in build-fuzz and run
# one after another: FUZZ_SECONDS each (fuzz), or FUZZ_SMOKE_SECONDS (fuzz-smoke, as CI).
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 15
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) FUZZ_CMAKE_ARGS="$(FUZZ_CMAKE_ARGS)" bash scripts/fuzz.sh

fuzz-smoke: deps
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) JOBS=$(JOBS) FUZZ_CMAKE_ARGS="$(FUZZ_CMAKE_ARGS)" bash scripts/fuzz.sh

bench: build
	$(BUILD)/scheduler_bench
	$(BUILD)/simulate_bench
	$(BUILD)/peak_projection_bench
	$(BUILD)/cpu_engine_bench
	$(BUILD)/metrics_scrape_bench

# EVALUATION.md experiments 1-8 (experiments/*.json, docs/experiments.md): results.csv,
# results.json and report.html. The default set; the quick one is a reduced set (minutes).
experiment: build
	$(BUILD)/cacheopt experiment experiments/default.json --out out/experiment

experiment-quick: build
	$(BUILD)/cacheopt experiment experiments/quick.json --out out/experiment-quick

# The robustness suite (issue 13; README "Results"): 26 setups, every baseline and
# tuned variant, KV-free ceilings, overload and equal-load runs; writes summary.md.
experiment-robust: build
	$(BUILD)/cacheopt experiment experiments/robust.json --out out/robust

# cacheopt's tuning set (seed 100) and the leave-one-trace-out check of its defaults.
experiment-tune: build
	$(BUILD)/cacheopt experiment experiments/tune.json --out out/tune
	bash scripts/leave-one-trace-out.sh out/tune/results.json

# The engine soak (docs/soak.md): one million scheduler steps over every
# policy, random workloads, invariants checked after every step.
.PHONY: soak
soak: build
	$(BUILD)/cacheopt soak

# cacheopt serve against llama.cpp's llama-server (issue 18, docs/peer-bench.md): both
# pinned to one core, the 15M and 110M models, capacity per TBT SLO; builds
# llama-server if absent. Run alone. PEER_ARGS, e.g. --models 15m or --quick.
.PHONY: peer-bench
peer-bench: build
	bash scripts/peer-bench.sh --cacheopt $(BUILD)/cacheopt --out out/peer-bench $(PEER_ARGS)

clean:
	rm -rf $(BUILD) build-asan

# Decode speed against llama.cpp on generated F32/Q8_0/Q4_K files (docs/cpu-speed.md);
# PEER_SPEED_ARGS picks a subset, e.g. "--models 15m --threads 1".
.PHONY: peer-speed
peer-speed: build
	bash scripts/peer-speed.sh --build $(BUILD) $(PEER_SPEED_ARGS)
