# berth — see README.md. Every target installs what it needs from the
# project's own scripts; nothing is assumed to be installed by hand.

GO        ?= go
BIN       := bin/berth
PY        := /usr/bin/python3
# Tests fail instead of skipping when ONNX Runtime or a tool they use is missing.
TEST_ENV  := BERTH_REQUIRE_ORT=1 BERTH_REQUIRE_TOOLS=1 BERTH_PODMAN=1
PKGS      := ./...

.PHONY: ui-deps all build ort tools test check fuzz bench demo fixtures clean

all: build

# bin/berth-serving is the servingonly build that berth pack puts into images
# (serve, models, runs, drift; docs/pack.md says why). nomsgpack leaves gin's
# MessagePack codec (github.com/ugorji/go/codec), which berth never uses, out
# of both: 6.5 MB less binary and about 7 ms less start-up (docs/pack.md).
TAGS := nomsgpack
build:
	$(GO) build -trimpath -ldflags "-s -w" -tags $(TAGS) -o $(BIN) ./cmd/berth
	$(GO) build -trimpath -ldflags "-s -w" -tags servingonly,$(TAGS) -o bin/berth-serving ./cmd/berth

# Fetch the pinned ONNX Runtime shared library (sha256-checked) into the cache.
ort:
	@scripts/fetch-ort.sh

# The store and registry tests run on SQLite and on a throwaway PostgreSQL
# cluster that scripts/start-postgres.sh starts (or reuses) on 127.0.0.1.
# Install the Debian packages the tests run against, when missing.
tools:
	@scripts/install-tools.sh
	@scripts/fetch-llama.sh >/dev/null
	@scripts/fetch-seaweedfs.sh >/dev/null
	@scripts/fetch-helm.sh >/dev/null

# make test runs every test with nothing skipped: a missing file, tool or
# library fails the test that needs it. internal/cmd/testreport prints go
# test's usual lines and the failing tests' output, then
# "test: N passed, N failed, N skipped" and each skip, and fails on any skip
# not listed here. These skip by design: the child halves of tests that run
# the test binary again (TestCrashSafety's child, internal/browsertest's
# children).
TEST_SKIP_ALLOW := tracking/sqlstore.TestCrashChild \
	internal/browsertest.TestMissingChromium internal/browsertest.TestTimeout

test: tools ort
	@$(GO) build -o bin/testreport ./internal/cmd/testreport
	@pg=$$(scripts/start-postgres.sh) || exit 1; \
	echo "$(TEST_ENV) BERTH_TEST_POSTGRES_URI=$$pg $(GO) test -json -count=1 -timeout 25m $(PKGS) | bin/testreport"; \
	rc=$$(mktemp); \
	{ $(TEST_ENV) BERTH_TEST_POSTGRES_URI=$$pg $(GO) test -json -count=1 -timeout 25m $(PKGS); echo $$? >$$rc; } \
		| bin/testreport -allow '$(TEST_SKIP_ALLOW)'; report=$$?; \
	status=$$(cat $$rc); rm -f $$rc; \
	if [ "$$status" -ne 0 ] && [ $$report -eq 0 ]; then echo "make test: go test exited with status $$status"; fi; \
	[ $$report -eq 0 ] && [ "$$status" -eq 0 ]

check: tools ort
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff
	@pg=$$(scripts/start-postgres.sh) || exit 1; \
	$(TEST_ENV) BERTH_TEST_POSTGRES_URI=$$pg $(GO) test -race -count=1 -timeout 40m $(PKGS)
	$(GO) test -run '^$$' -bench . -benchtime=1x $(PKGS) >/dev/null

# A short run of every native fuzz target (seeds always run in `make test`).
FUZZTIME ?= 20s
fuzz:
	@scripts/fuzz-all.sh $(FUZZTIME)

bench: build tools ort
	@bench/run.sh
	@bench/registry.sh
	@bench/pack.sh
	@bench/blob.sh
	@bench/throughput.sh
	@bench/speed.sh
	@bench/gateway.sh
	@bench/decode.sh
	@bench/replicas.sh
	@bench/recipe.sh
	@echo "drift accuracy (docs/drift-accuracy.md; about 2 minutes)"; $(GO) run ./bench/cmd/driftaccuracy

# The tour (a few minutes; README.md shows its output). scripts/demo.sh checks
# and installs what it needs (gcc, curl, jq, npm for ONNX Runtime), builds
# berth with a progress line, fetches ONNX Runtime (as `make ort`), and keeps
# the servers up at the end until Enter when run from a terminal.
demo:
	@MAKE="$(MAKE)" scripts/demo.sh

# Regenerate the fixtures under testdata/ (Debian's python3-sklearn, python3-onnx).
ui-deps:
	@scripts/fetch-ui-deps.sh

fixtures:
	$(PY) testdata/make_fixtures.py
	cd testdata/drift && $(PY) make_golden.py
	$(PY) testdata/evaluate/make_golden.py

clean:
	rm -rf bin
