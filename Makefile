# kockpit: `make demo` to see it, `make test` to test it (installs what it needs).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -X main.version=$(VERSION)
CACHE      ?= $(or $(KOCKPIT_CACHE),$(HOME)/.cache/kockpit)
TOOLS      := $(CACHE)/tools
STATICCHECK_VERSION := v0.8.2
# Sizes of the cluster `make bench` seeds, and of the snapshot it writes (NODES nodes too).
NODES ?= 1000
PODS  ?= 20000
VOLUMES ?= 20000
SNAPSHOT_PODS ?= 150000
FUZZTIME ?= 5s

.PHONY: build demo test test-deps unit fuzz lint bench clean

build:
	go build -ldflags '$(LDFLAGS)' -o bin/kockpit ./cmd/kockpit

demo: build
	./bin/kockpit --demo --fail-on never

# test-deps installs what the tests run against: etcd, tmux and containerd (1.6, the runtime
# checks' real CRI server) from Debian, kube-apiserver, kube-controller-manager and kubectl
# built from k8s.io/kubernetes (once per machine, cached).
test-deps:
	@command -v etcd >/dev/null || { echo "installing etcd-server (Debian)..."; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y etcd-server >/dev/null 2>&1 || \
	  { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update >/dev/null && \
	    $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y etcd-server >/dev/null; }; }
	@command -v tmux >/dev/null || { echo "installing tmux (Debian)..."; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y tmux >/dev/null 2>&1 || \
	  { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update >/dev/null && \
	    $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y tmux >/dev/null; }; }
	@command -v containerd >/dev/null || { echo "installing containerd (Debian)..."; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y containerd >/dev/null 2>&1 || \
	  { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update >/dev/null && \
	    $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y containerd >/dev/null; }; }
	@hack/kube-binaries.sh >/dev/null
	@test -x $(TOOLS)/staticcheck || GOBIN=$(TOOLS) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# test runs everything: lint, every test against the real test cluster (required, not
# skipped), and a short run of each fuzzer.
test: test-deps lint unit fuzz

# -ldflags=-w links the test binaries without DWARF tables, a third of each link (stacks and
# panics do not use them).
unit:
	KOCKPIT_REQUIRE_CLUSTER=1 KOCKPIT_KUBE_BIN=$$(hack/kube-binaries.sh) \
	  go test -count=1 -ldflags=-w -timeout 15m ./...

# fuzz runs every fuzzer for FUZZTIME, each package's test binary built once (hack/fuzz.sh).
fuzz:
	FUZZTIME=$(FUZZTIME) hack/fuzz.sh

lint:
	@bad=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$bad" ] || { echo "gofmt: $$bad"; exit 1; }
	go vet ./...
	@test -x $(TOOLS)/staticcheck || GOBIN=$(TOOLS) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(TOOLS)/staticcheck ./...

# bench seeds the real test apiserver with NODES nodes, PODS pods and VOLUMES bound claims
# (each with its volume and VolumeAttachment) and prints one line, and one for the storage
# checks alone:
# report wall time, the floor (the bare LISTs the report needed), their ratio, peak RSS. Then
# one line per format for the report on a written snapshot of SNAPSHOT_PODS pods, YAML and
# JSON: wall time, MB/s, CPU time and MB per CPU-second, peak RSS, the load average.
bench: test-deps build
	KOCKPIT_KUBE_BIN=$$(hack/kube-binaries.sh) go run ./hack/bench -kockpit bin/kockpit -nodes $(NODES) -pods $(PODS) -volumes $(VOLUMES) -snapshot-pods $(SNAPSHOT_PODS)
	go test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
