# Telepace platform charts: typed Go -> cdk8s -> Helm charts.
#
#   make synth   write charts/generated/<env>/ for every environment
#   make test    every test, the end-to-end cluster tests included
#
# Requires Go (see go.mod) and Node.js 20 or newer (cdk8s runs its jsii kernel
# in node).

GO        ?= go
GOFLAGS   ?=
PKGS      := ./...
E2E_TOOLS := hack/e2e-tools.sh

FUZZTIME  ?= 5s

.PHONY: all synth check test test-short fuzz e2e e2e-tools golden bench vet node generate bulk

all: synth test

## synth: synthesise every environment into charts/generated/ (ENV=prod for one)
synth: node
	$(GO) run ./cmd/synth $(if $(ENV),--env $(ENV))

## check: fail, naming the stale files, when charts/generated/ differs from the code
check: node
	$(GO) run ./cmd/synth --check

## test: vet, then every test including the end-to-end cluster tests, then a bounded fuzz run
test: node vet e2e-tools test/mermaid/node_modules jsii/bulk/node_modules
	$(GO) test -count=1 -timeout 75m $(PKGS)
	$(MAKE) --no-print-directory fuzz

## test-short: the quick loop; skips the end-to-end cluster tests, then a bounded fuzz run
test-short: node test/mermaid/node_modules jsii/bulk/node_modules
	$(GO) test -short $(PKGS)
	$(MAKE) --no-print-directory fuzz

## fuzz: each fuzz target for FUZZTIME (default 5s); the corpus lives in testdata/fuzz/
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzImagePolicy$$' -fuzztime $(FUZZTIME) ./pkg/constructs/
	$(GO) test -run '^$$' -fuzz '^FuzzQuantity$$' -fuzztime $(FUZZTIME) ./pkg/constructs/
	$(GO) test -run '^$$' -fuzz '^FuzzCanonicalMembers$$' -fuzztime $(FUZZTIME) ./pkg/constructs/
	$(GO) test -run '^$$' -fuzz '^FuzzEnvironmentName$$' -fuzztime $(FUZZTIME) ./pkg/synth/
	$(GO) test -run '^$$' -fuzz '^FuzzScanHead$$' -fuzztime $(FUZZTIME) ./pkg/synth/

## e2e: only the end-to-end tests against a local control plane
e2e: node e2e-tools test/mermaid/node_modules
	$(GO) test -count=1 -timeout 30m -v ./test/e2e/...

## e2e-tools: build the pinned cluster binaries and unpack Debian's chromium once, cached outside the checkout
e2e-tools:
	$(E2E_TOOLS) >/dev/null

## golden: rewrite the golden files under testdata/ (review the diff!)
golden: node
	$(GO) test ./pkg/constructs/ ./pkg/diff/ ./pkg/synth/ -run 'Golden|RepositoryReadme' -update

## bench: benchmarks with medians (full synth budget: 1.5 s wall), then the
## side-by-side table against cdk8s in plain Node (bench/cdk8s-ts)
bench: node bench/cdk8s-ts/node_modules
	$(GO) test -run '^$$' -bench SideBySide -benchtime 1x -v ./bench/ | grep -E 'ratio|bound|Benchmark|ok|FAIL'
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -benchtime 10x ./pkg/synth/

bench/cdk8s-ts/node_modules: bench/cdk8s-ts/package-lock.json
	npm ci --prefix bench/cdk8s-ts --no-audit --no-fund
	@touch $@

# Mermaid's own parser and browser bundle, pinned by
# test/mermaid/package-lock.json, for TestTopologyParsesWithMermaid
# (pkg/synth) and TestTopologyRendersInChromium (test/e2e)
test/mermaid/node_modules: test/mermaid/package-lock.json
	npm ci --prefix test/mermaid --no-audit --no-fund
	@touch $@

# The jsii library pkg/constructs hands its objects to the kernel through,
# with the jsii compiler and jsii-pacmak, pinned by jsii/bulk/package-lock.json
jsii/bulk/node_modules: jsii/bulk/package-lock.json
	npm ci --prefix jsii/bulk --no-audit --no-fund
	@touch $@

## bulk: regenerate internal/bulk, the Go bindings of the jsii library in
## jsii/bulk, and their embedded assembly (TestBindingsMatchSource checks them)
bulk: node jsii/bulk/node_modules
	hack/gen-bulk.sh

## generate: rewrite the deepcopy functions of the custom resource types in pkg/apis/,
## and the CRDs internal/crds embeds, from the modules internal/crds/crd-versions.txt
## pins (downloaded through the Go module proxy, checked against the pinned h1 sums)
generate:
	$(GO) tool deepcopy-gen --go-header-file /dev/null --output-file zz_generated.deepcopy.go ./pkg/apis/externalsecrets/v1 ./pkg/apis/generators/v1alpha1 ./pkg/apis/argocd/v1alpha1
	$(GO) run ./internal/crds/gen

## vet: gofmt, go vet, and actionlint on the GitHub workflows
vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool actionlint

node:
	@command -v node >/dev/null || { echo "Node.js 20 or newer must be on PATH (cdk8s runs its jsii kernel in node)"; exit 1; }
