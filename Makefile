# Netflux developer commands. `make` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS ?= never

# uv from PATH, else the one pip installs into this Python (see the uv target).
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYTEST_ARGS ?=

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

.PHONY: uv
uv: ## Install uv (with pip) when it is missing
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --user uv \
		|| python3 -m pip install --quiet --user --break-system-packages uv

.PHONY: sync
sync: uv ## Install the workspace and its locked dependencies into .venv
	@$(UV) sync --frozen --all-packages

.PHONY: run
run: sync ## Run PostgreSQL (embedded) + movie-service :7070 + customer-service :8080
	@$(UV) run --frozen python -m netflux_devstack.run

.PHONY: test
test: sync ## Run every test on a real PostgreSQL (Testcontainers, else embedded)
	@$(UV) run --frozen pytest $(PYTEST_ARGS)

PACKAGE_TESTS := $(wildcard libs/*/tests */tests)

.PHONY: lint
lint: sync ## ruff (lint + format check) and mypy
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .
	@$(UV) run --frozen mypy
	@for tests in $(PACKAGE_TESTS); do $(UV) run --frozen mypy $$tests || exit 1; done

.PHONY: fmt
fmt: sync ## Format and autofix
	@$(UV) run --frozen ruff format .
	@$(UV) run --frozen ruff check --fix .

# --- containers -------------------------------------------------------------------------------
PYTHON_IMAGE ?= public.ecr.aws/docker/library/python:3.12-slim-bookworm
PLATFORM ?= linux/amd64
IMAGE_TAG ?= local
RELEASE_ENVIRONMENTS ?= staging prod
# Every service in the catalogue (libs/catalogue); plain python3, no virtualenv needed.
SERVICES := $(shell PYTHONPATH=libs/catalogue/src python3 -m netflux_catalogue names)

.PHONY: images
images: ## Build every service's image for linux/amd64 (PYTHON_IMAGE, IMAGE_TAG override)
	@for svc in $(SERVICES); do \
		echo "building netflux/$$svc:$(IMAGE_TAG)"; \
		docker build --platform $(PLATFORM) --build-arg PYTHON_IMAGE=$(PYTHON_IMAGE) \
			--build-arg SERVICE=$$svc -t netflux/$$svc:$(IMAGE_TAG) . || exit 1; \
	done

.PHONY: release
release: ## Push both images to each environment's ECR repo, write imagedefinitions (REGISTRY, IMAGE_TAG)
	@test -n "$(REGISTRY)" || { echo "REGISTRY is required (<account>.dkr.ecr.<region>.amazonaws.com)"; exit 2; }
	@test "$(IMAGE_TAG)" != local || { echo "IMAGE_TAG must name the release (the commit)"; exit 2; }
	@set -euo pipefail; for env in $(RELEASE_ENVIRONMENTS); do \
		for svc in $(SERVICES); do \
			uri="$(REGISTRY)/netflux-$$env/$$svc:$(IMAGE_TAG)"; \
			docker tag "netflux/$$svc:$(IMAGE_TAG)" "$$uri"; \
			docker push "$$uri"; \
			mkdir -p "build/imagedefinitions/$$env/$$svc"; \
			printf '[{"name":"%s","imageUri":"%s"}]\n' "$$svc" "$$uri" \
				> "build/imagedefinitions/$$env/$$svc/imagedefinitions.json"; \
			echo "released $$uri"; \
		done; \
	done

.PHONY: up
up: ## docker compose up: PostgreSQL + both services, built from the Dockerfiles
	docker compose up --build --wait

.PHONY: down
down: ## Stop the compose stack and delete its volume
	docker compose down -v

# --- infrastructure (infra/) ------------------------------------------------------------------
ENV ?= staging
ENVIRONMENTS := staging prod
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20

.PHONY: synth
synth: sync ## Synthesize Terraform JSON for every environment into infra/cdktf.out
	@cd infra && $(UV) run --frozen python -m netflux_infra.main
	@ls infra/cdktf.out/stacks

.PHONY: rehearse
rehearse: sync ## Deploy ENV to a local AWS emulator (moto), run it in Docker, release, destroy (ENV=, RUN=0: resources only, BREAK=)
	@case " $(ENVIRONMENTS) " in *" $(ENV) "*) ;; *) echo "ENV must be one of: $(ENVIRONMENTS)"; exit 2;; esac
	@$(UV) run --frozen python -m netflux_infra_testing.rehearsal $(ENV) \
		$(if $(filter 0,$(RUN)),--no-run) $(if $(BREAK),--break $(BREAK))

# IMAGE_TAG given on the command line or in the environment: deploy that pushed tag (else: build
# and push HEAD's commit). FORCE=1 replaces a release the checkout does not contain (roll back).
DEPLOY_ARGS = $(if $(filter command line environment,$(origin IMAGE_TAG)),--image-tag $(IMAGE_TAG)) \
	$(if $(filter 1,$(FORCE)),--force) $(if $(CONFIRM),--confirm $(CONFIRM))

.PHONY: deploy
deploy: sync ## Build+push HEAD (or IMAGE_TAG=), apply netflux-$(ENV), verify the site (ENV=staging|prod)
	@case " $(ENVIRONMENTS) " in *" $(ENV) "*) ;; *) echo "ENV must be one of: $(ENVIRONMENTS)"; exit 2;; esac
	@$(UV) run --frozen python -m netflux_infra.deploy deploy $(ENV) $(DEPLOY_ARGS)

.PHONY: destroy
destroy: sync ## Tear netflux-$(ENV) down (prod needs CONFIRM=netflux-prod)
	@case " $(ENVIRONMENTS) " in *" $(ENV) "*) ;; *) echo "ENV must be one of: $(ENVIRONMENTS)"; exit 2;; esac
	@$(UV) run --frozen python -m netflux_infra.deploy destroy $(ENV) $(DEPLOY_ARGS)

# --- performance (bench/) -----------------------------------------------------------------------
BENCH_ARGS ?=

.PHONY: bench
bench: sync ## Load both services and the floors F1/F2 on loopback; table + bench/results.json
	@$(UV) run --frozen python -m bench $(if $(BENCH_QUICK),--quick) $(BENCH_ARGS)

.PHONY: bench-smoke
bench-smoke: sync ## The CI version of `make bench`: one short round, no targets asserted (<90 s)
	@$(UV) run --frozen python -m bench --quick $(BENCH_ARGS)
