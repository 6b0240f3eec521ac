# Stages are run through `python -m pipelines <stage>`; see `make help`.
# Variables: PROFILE=quick|full, ARGS='--set key=value ...', SCHEDULER=<dask scheduler address> (data-chaos,
# verify-chaos, data-pdes).

PYTHON3 ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stamp
PROFILE ?= quick
ARGS ?=
SCHEDULER ?=
# ARGS come last in every command, so that they override a target's own --set (the later wins);
# SCHEDULER goes only to the stages that can use a dask cluster (the others refuse one)
STAGE_FLAGS = --profile $(PROFILE) $(ARGS)
SWEEP_FLAGS = $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(STAGE_FLAGS)
PIPELINES = $(PY) -m pipelines

.PHONY: help setup test demo data-chaos bench-chaos verify-chaos data-pdes data-pdes-references bench-pdes train-operator bench-operators train-pinn bench-pinn train-dsr train-reservoir bench-dsr data-l96 train-closure eval-closure bench-l96 export bench-env report clean distclean

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

setup: $(STAMP)  ## create .venv from requirements.lock; install DOLFINx with apt if missing and possible
	@bash scripts/install_fenics.sh

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON3) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "make setup needs Python >= 3.11; set PYTHON3=" or 0)'
	test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-deps -r requirements.lock  # a full lock: every package pinned, no resolving
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

test: setup  ## run the tests on CPU
	JAX_PLATFORMS=cpu $(PY) -m pytest -q -n 2

demo: setup  ## quick end-to-end run: data, benchmarks, report
	$(MAKE) --no-print-directory data-chaos bench-chaos bench-dsr data-pdes bench-pdes bench-operators data-l96 bench-l96 export bench-pinn report PROFILE=quick ARGS=
	@echo "Results: reports/index.html and reports/index.md (benchmarks in reports/bench/, data in data/)"

data-chaos: setup  ## generate the chaotic systems database (data/chaos/)
	$(PIPELINES) data-chaos $(SWEEP_FLAGS)

bench-chaos: setup  ## benchmark the chaos database (reports/bench/chaos*.json)
	$(PIPELINES) bench-chaos $(STAGE_FLAGS)

verify-chaos: setup  ## every system against dysts: trajectories and Lyapunov spectra (reports/bench/chaos_verify.json)
	$(PIPELINES) verify-chaos $(SWEEP_FLAGS)

data-pdes: setup  ## every PDE data set: references, FEniCS parametric sets (data/pdes/)
	$(PIPELINES) data-pdes-references $(STAGE_FLAGS)
	$(PIPELINES) data-pdes $(SWEEP_FLAGS)

data-pdes-references: setup  ## reference solutions of the PDE problems (data/pdes/references/)
	$(PIPELINES) data-pdes-references $(STAGE_FLAGS)

bench-pdes: setup  ## PDE generators: verification errors and samples/s with 1 and 2 workers (reports/bench/pdes.json)
	$(PIPELINES) bench-pdes $(STAGE_FLAGS)

# $(call given,VAR): non-empty when VAR was given on the command line or in the environment
given = $(filter command line environment,$(origin $(1)))
# MODEL: given on the command line, else each target's own default
model_or = $(if $(call given,MODEL),$(MODEL),$(1))
DATA ?= burgers
train-operator: setup  ## train a neural operator: MODEL=fno|fno_interp|nuno|nuno_fourier|deeponet DATA=burgers|darcy|elasticity|... (runs/operators/)
	$(PIPELINES) train-operator --set model=$(call model_or,fno) --set data=$(DATA) $(STAGE_FLAGS)

bench-operators: setup  ## every operator on every data set: error, s/epoch, NUNO vs FNO after interpolation (reports/bench/operators.json)
	$(PIPELINES) bench-operators $(STAGE_FLAGS)

# VAR as `--set key=VAR` where given, else nothing (the config's value)
set_if_given = $(if $(call given,$(1)),--set $(2)=$($(1)))
train-pinn: setup  ## train a PINN method on a PDE problem: PROBLEM=convection|allen_cahn|ks|burgers|... METHOD=pinn|r3|causal|causal_r3|lpinn|... (runs/)
	$(PIPELINES) train-pinn $(call set_if_given,PROBLEM,problem) $(call set_if_given,VARIANT,variant) $(call set_if_given,METHOD,method) $(STAGE_FLAGS)

bench-pinn: setup  ## PINNs: rel. L2 per seed, every problem x method, steps/s and FLOP rate, R3 overhead, speed and time-to-5% vs DeepXDE, failure-mode curve (reports/bench/pinn.json)
	$(PIPELINES) bench-pinn $(STAGE_FLAGS)

SYSTEM ?= Lorenz
train-dsr: setup  ## reconstruct a chaotic system: MODEL=shplrnn SYSTEM=Lorenz, ARGS='--set method=agtf|gtf|stf|bptt' (runs/dsr/)
	$(PIPELINES) train-dsr --set model=$(call model_or,shplrnn) --set system=$(SYSTEM) $(STAGE_FLAGS)

train-reservoir: setup  ## fit a reservoir computer: MODEL=esn|ngrc|qrc SYSTEM=Lorenz (runs/reservoir/)
	$(PIPELINES) train-reservoir --set model=$(call model_or,esn) --set system=$(SYSTEM) $(STAGE_FLAGS)

bench-dsr: setup  ## PLRNN/GTF and reservoirs: D_stsp, D_H, VPT, the database sweep, vs reservoirpy (reports/bench/dsr.json)
	$(PIPELINES) bench-dsr $(STAGE_FLAGS)

data-l96: setup  ## multiscale Lorenz96 trajectories and closure targets (data/l96/)
	$(PIPELINES) data-l96 $(STAGE_FLAGS)

train-closure: setup  ## train a Lorenz96 closure: MODEL=null|poly|mlp|mno (runs/closures/)
	$(PIPELINES) train-closure --set model=$(call model_or,mno) $(STAGE_FLAGS)

eval-closure: setup  ## offline and online scores of the trained closures
	$(PIPELINES) eval-closure $(STAGE_FLAGS)

bench-l96: setup  ## closures online, grid independence, cost against K, export parity (reports/bench/l96.json)
	$(PIPELINES) bench-l96 $(STAGE_FLAGS)

export: setup  ## each trained closure as ONNX and jax.export, checked in a NumPy simulator (runs/export/)
	$(PIPELINES) export $(STAGE_FLAGS)

bench-env:  ## .venv-bench (CPU torch, DeepXDE, neuraloperator, reservoirpy, DAPPER) for the comparisons with the reference codes
	bash scripts/bench_env.sh

report: setup  ## build reports/index.md and reports/index.html from the JSON results
	$(PIPELINES) report $(STAGE_FLAGS)

clean:  ## remove generated data and quick reports (keeps .venv, .cache and reports/full)
	find data -mindepth 1 -not -path data/README.md -delete 2>/dev/null || true
	rm -rf reports/bench reports/index.md reports/index.html

distclean: clean  ## also remove .venv and the JAX compilation cache
	rm -rf $(VENV) .cache
