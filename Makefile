# kube-audit-kafka — see README.md.
GO      ?= go
BUILD   := build
SO      := $(BUILD)/out_kube_audit_kafka.so
CMD     := $(BUILD)/kube-audit-kafka
GOFLAGS_BUILD := -trimpath

.PHONY: all build run test bench lint clean

all: build

build: $(SO) $(CMD)

# Always let go decide what is stale.
.PHONY: $(SO) $(CMD)
$(SO):
	CGO_ENABLED=1 $(GO) build $(GOFLAGS_BUILD) -buildmode=c-shared -o $@ ./plugin

$(CMD):
	$(GO) build $(GOFLAGS_BUILD) -o $@ ./cmd/kube-audit-kafka

# The sample audit log from a real kube-apiserver, through the real pipeline,
# into an embedded Kafka-protocol broker; then a summary of what arrived.
run: $(CMD)
	$(CMD) testdata/lab-policy.audit.log

test: build lint
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race ./pipeline ./pipeline/correlate ./output ./metrics
	$(GO) test -count=1 -race -run Concurrent ./enrich/...
	$(GO) test -count=1 -race -skip Boundary ./plugin

# The speed suite (issue 6) on one core: per-stage benchmarks, the flush
# against its baseline and against compression alone, and the soak (which
# runs once: one iteration is 10,000 flushes). See README "Performance".
bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 -benchtime 1s ./internal/jsonx/ ./enrich/... ./output/... ./pipeline/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf $(BUILD)
