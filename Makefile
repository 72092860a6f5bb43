# sqsperf: performance regression scenarios for an SQS worker-pool service.
GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 20s
SCENARIOS ?= $(wildcard scenarios/*.yaml)

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: build
build: ## build the runner and the service binaries into bin/
	$(GO) build -o bin/runner ./runner/cmd/runner
	$(GO) build -o bin/service ./service/cmd/service

.PHONY: test
test: ## run every test with the race detector (the README's test command)
	$(GO) test -race -count=1 $(PKGS)

.PHONY: lint
lint: ## gofmt, go vet and a go.mod tidiness check
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff

.PHONY: bench
bench: ## run the benchmarks (emulator, service pipeline, probes)
	$(GO) test -run '^$$' -bench . -benchmem -count 6 $(PKGS)

.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZTIME
	bash .ci/fuzz $(FUZZTIME)

.PHONY: scenarios
scenarios: ## run the scenario suite as the perf workflow does (no -race: full verdict with baselines)
	$(GO) test -count=1 ./runner -run Scenario -v

.PHONY: baselines
baselines: ## refresh every stored baseline from this machine
	$(GO) run ./runner/cmd/runner baseline update -repeats 10 $(addprefix -scenario ,$(SCENARIOS))

.PHONY: tidy
tidy: ## go mod tidy
	$(GO) mod tidy
