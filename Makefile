# bidir: one entry point. `make demo` and `make test` set everything up on a fresh Debian machine (as root)
# and are idempotent: apt packages only when missing, .venv only once, editable installs rebuilt as needed.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := build-essential cmake ninja-build pkg-config libdart-dev libdart-utils-dev \
  libdart-utils-urdf-dev libdart-collision-bullet-dev libdart-external-ikfast-dev libeigen3-dev \
  libegl1 libegl-mesa0 libgl1-mesa-dri xvfb xauth patchelf doctest-dev
CONDA_WORK ?= /tmp/bidir-conda
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: setup demo walk walk-conditions lint test conda clean
comma := ,
space := $(subst ,, )

$(VENV)/.apt-done:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@mkdir -p $(VENV) && touch $@

$(VENV)/bin/python: | $(VENV)/.apt-done
	python3 -m venv $(VENV)

$(VENV)/.deps-done: $(VENV)/bin/python Makefile  # a dependency added here reaches existing venvs too
	$(PY) -m pip install -q --upgrade pip
	# torch pinned: the extension links this exact libtorch (its C++ ABI changes between releases)
	$(PY) -m pip install -q "torch==2.13.0" numpy pyyaml scipy "gymnasium>=1.0" pybind11 "scikit-build-core>=0.10" pytest \
	  "hydra-core>=1.3" "wandb>=0.17" "rich>=13" "matplotlib>=3.8" \
	  "glfw>=2.5" "moderngl>=5.8" "imgui-bundle>=1.6" "PyOpenGL>=3.1" "imageio>=2.30" "imageio-ffmpeg>=0.4" \
	  "py-rattler-build==0.73.0" "py-rattler==0.28.0" "ruff==0.17.6" "clang-format==23.1.5" "hypothesis>=6.100" \
	  "ray==2.60.0"  # bidir-ppo's optional [ray] extra, so that the rollout=ray tests run
	# the OpenSim export's round-trip tests (optional: a Python without an opensim wheel skips them)
	$(PY) -m pip install -q "opensim==4.6" || echo "opensim: no wheel for this Python; its tests skip"
	touch $@

# bidir-sim's editable build also builds the C++ unit tests (cpp/tests; run by make test).
setup: $(VENV)/.apt-done $(VENV)/.deps-done
	$(PY) -m pip install -q --no-build-isolation -e packages/bidir-sim --config-settings=cmake.define.BIDIR_BUILD_TESTS=ON
	$(PY) -m pip install -q --no-build-isolation -e packages/bidir-ppo -e packages/bidir-viewer

# A short real training run of the default A2_sep task (about 5 minutes on 2 cores), its learning curves,
# a 5-second video of the policy rendered headless, and the command to watch it.
DEMO_DIR ?= runs/demo
demo: setup
	rm -rf $(DEMO_DIR)
	$(PY) -m bidir_ppo.train env=A2_sep envs=32 total_steps=98304 max_minutes=8 checkpoint_every=8 \
	  run_dir=$(DEMO_DIR) wandb.mode=offline
	$(PY) -m bidir_ppo.plot $(DEMO_DIR)
	$(VENV)/bin/bidir-viewer $(DEMO_DIR)/ckpt --record $(DEMO_DIR)/walk.mp4 --seconds 5
	@echo "watch it: $(VENV)/bin/bidir-viewer $(DEMO_DIR)/ckpt   (a display, or xvfb-run; headless: --record/--screenshot)"

# The walking recipe (docs/training.md, "Walking"), on the normative-fit walking reference (#28): stage 1 trains
# the ideal-torque body (shipped pd, with the muscle network learning, early termination and the weighted
# imitation factor: examples/walk/pd.yaml), stage 2 the muscle-driven A2_sep with the same factor
# (examples/walk/muscle.yaml) warm-started from it (init=); each stage is evaluated over 32 episodes (mean
# action) on its plain task (pd_task.yaml, muscle_task.yaml) and ends with curves, a 10-s video and its stills.
# About 95 minutes on 2 cores (docs/training.md: version 2 needs more samples than version 1, and a slow day gives
# half the env-steps of a fast one); the stages stop at their max_minutes.
WALK_DIR ?= runs/walk
WALK_PD_MINUTES ?= 55
WALK_MUSCLE_MINUTES ?= 30
WALK_SEED ?= 0
WALK_COMMON := envs=32 model.obs_norm=true ppo.target_kl=null wandb.mode=offline checkpoint_every=25 seed=$(WALK_SEED)
# each stage's training config; a realism lever's variant overrides them (examples/walk/levers/)
WALK_PD_ENV ?= examples/walk/pd.yaml
WALK_MUSCLE_ENV ?= examples/walk/muscle.yaml
WALK_PD := env.name=$(abspath $(WALK_PD_ENV)) total_steps=3000000 max_minutes=$(WALK_PD_MINUTES)
WALK_MUSCLE := env.name=$(abspath $(WALK_MUSCLE_ENV)) total_steps=1000000 max_minutes=$(WALK_MUSCLE_MINUTES)
walk: setup
	rm -rf $(WALK_DIR)
	$(PY) -m bidir_ppo.train $(WALK_COMMON) $(WALK_PD) run_dir=$(WALK_DIR)/pd
	$(PY) -m bidir_ppo.train $(WALK_COMMON) $(WALK_MUSCLE) init=$(WALK_DIR)/pd/ckpt run_dir=$(WALK_DIR)/muscle
	# each stage on its plain task: the training aids and the imitation factor shape training, not the target
	for stage in pd:pd_task muscle:muscle_task; do dir=$(WALK_DIR)/$${stage%%:*}; \
	  $(PY) -m bidir_ppo.evaluate $$dir/ckpt --env examples/walk/$${stage##*:}.yaml --episodes 32 --json $$dir/eval.json && \
	  $(PY) -m bidir_ppo.plot $$dir && \
	  $(VENV)/bin/bidir-viewer $$dir/ckpt --record $$dir/walk.mp4 --seconds 10 \
	    --camera side --stills 6 || exit 1; \
	done
	@echo "results: $(WALK_DIR)/{pd,muscle}/{eval.json,walk.mp4,walk-stills.png}; curves: $(WALK_DIR)/*/plots"

# The conditioned walker (docs/conditions.md, "One policy across the space"): one policy over A2_wide's sampled
# anatomy plus the pathology presets (examples/walk/conditions.yaml; each preset held by one of the 32 envs, 3
# holding the healthy body, the other 22 drawing from the ranges, widened from the healthy body by a curriculum
# as the policy copes), warm-started from make walk's muscle-driven policy (init=: the condition inputs start at
# zero weight). Then the last checkpoint is evaluated: 64 episodes over the sampled space;
# the healthy body and each preset (32 each); each preset's gait signature against the healthy body
# (bidir_ppo.signatures). Run make walk first.
WALK_CONDITIONS_DIR ?= runs/walk-conditions
WALK_CONDITIONS_MINUTES ?= 90
WALK_CONDITIONS_ENV ?= examples/walk/conditions.yaml  # a lever's variant overrides it (examples/walk/levers/)
WALK_PRESETS := crouch equinus foot_drop trendelenburg waddling in_toeing out_toeing
walk-conditions: setup
	@test -d $(WALK_DIR)/muscle/ckpt || { echo "no $(WALK_DIR)/muscle/ckpt: run make walk first"; exit 1; }
	rm -rf $(WALK_CONDITIONS_DIR)
	$(PY) -m bidir_ppo.train $(WALK_COMMON) env.name=$(abspath $(WALK_CONDITIONS_ENV)) total_steps=5000000 \
	  max_minutes=$(WALK_CONDITIONS_MINUTES) init=$(WALK_DIR)/muscle/ckpt \
	  mixture.curriculum.start=0 mixture.curriculum.step=0.1 mixture.healthy_envs=3 \
	  'mixture.presets=[$(subst $(space),$(comma),$(WALK_PRESETS))]' run_dir=$(WALK_CONDITIONS_DIR)
	# the last checkpoint: bidir_ppo.best on 32 bodies per checkpoint chose by noise (docs/conditions.md, fourth run)
	$(PY) -m bidir_ppo.evaluate $(WALK_CONDITIONS_DIR)/ckpt --episodes 64 --json $(WALK_CONDITIONS_DIR)/eval.json
	$(PY) -m bidir_ppo.evaluate $(WALK_CONDITIONS_DIR)/ckpt --episodes 32 $(addprefix --preset ,$(WALK_PRESETS)) \
	  --json $(WALK_CONDITIONS_DIR)/eval-presets.json
	$(PY) -m bidir_ppo.signatures $(WALK_CONDITIONS_DIR)/ckpt --out $(WALK_CONDITIONS_DIR)/signatures
	$(PY) -m bidir_ppo.plot $(WALK_CONDITIONS_DIR)
	@echo "results: $(WALK_CONDITIONS_DIR)/eval.json (sampled), eval-presets.json, signatures/; the grid: evaluate --sweep"

# Lint is part of the tests: ruff (ruff.toml) on all Python, clang-format (packages/bidir-sim/.clang-format) on cpp/.
CPP_SOURCES = $(wildcard packages/bidir-sim/cpp/*.[ch]pp packages/bidir-sim/cpp/tests/*.[ch]pp)
lint: setup
	$(VENV)/bin/ruff check packages tests ci tools
	@$(VENV)/bin/clang-format --dry-run --Werror $(CPP_SOURCES) && echo "clang-format: $(words $(CPP_SOURCES)) files clean"

test: setup lint  # --durations: the slowest tests, for keeping CI under its 30-minute aim
	BIDIR_REQUIRE_CPP_TESTS=1 $(PY) -m pytest -q --durations=15 tests packages/bidir-sim/tests packages/bidir-ppo/tests packages/bidir-viewer/tests

# The conda recipes built with rattler-build against an offline stand-in channel, installed with py-rattler,
# and the three user commands run in that environment (ci/conda/README.md). About 5 minutes.
conda: setup
	rm -rf $(CONDA_WORK)
	$(PY) ci/conda/build.py $(CONDA_WORK)

clean:
	rm -rf $(VENV) packages/*/build packages/*/src/*.egg-info
