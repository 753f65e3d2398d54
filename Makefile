# `make run` and `make test` work on a fresh clone: they make .venv from the lock files
# (pip --require-hashes) and install the Debian packages Qt needs when they are missing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Shared libraries the Qt wheels load (offscreen and xcb), and what the tests call.
QT_DEBS := libgl1 libegl1 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0
XCB_DEBS := libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
	libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libx11-xcb1
TEST_DEBS := xvfb poppler-utils minisign

.PHONY: run test lint bench demo sysdeps-run sysdeps-test clean-venv

run: sysdeps-run $(VENV)/.runtime-installed
	$(BIN)/python main.py

test: sysdeps-test $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

demo: $(VENV)/.runtime-installed
	$(BIN)/python main.py demo

bench: sysdeps-test $(VENV)/.dev-installed
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/views.py
	$(BIN)/python bench/reports.py

$(VENV)/.created:
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || $(MAKE) --no-print-directory _apt DEBS=python3-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23.2"
	touch $@

$(VENV)/.runtime-installed: requirements.lock $(VENV)/.created
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev-installed: requirements-dev.lock $(VENV)/.created
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@ $(VENV)/.runtime-installed

sysdeps-run:
	@$(MAKE) --no-print-directory _apt DEBS="$(QT_DEBS) $(XCB_DEBS)"

sysdeps-test:
	@$(MAKE) --no-print-directory _apt DEBS="$(QT_DEBS) $(XCB_DEBS) $(TEST_DEBS)"

# Installs the missing ones among DEBS on Debian-family systems when we may; elsewhere says so.
_apt:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
	  for p in $(DEBS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	  done; \
	fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Устанавливаю системные пакеты:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "Не хватает системных пакетов:$$missing — установите их: sudo apt-get install$$missing"; \
	  fi; \
	fi

clean-venv:
	rm -rf $(VENV)

# --- the installable application (packaging/README.md) ----------------------------------------
# `make package`: PyInstaller bundle in dist/tochka-readiness/ and dist/tochka-readiness_*.deb
# (TARBALL=1: also a .tar.xz of the bundle); `make package-test`: the bundle's self-test, the
# window under Xvfb (screenshot in screenshots/), the .deb; `make bench-bundle`: sizes, start-up.
BUNDLE := dist/tochka-readiness
APP_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
DEB := dist/tochka-readiness_$(APP_VERSION)_amd64.deb
# strip (binutils) for PyInstaller; Xvfb and desktop-file-validate for the checks
PACKAGE_DEBS := binutils dpkg xvfb desktop-file-utils

.PHONY: package package-test bench-bundle sysdeps-package screenshots

# the user guide's pictures (docs/images/), made by the program on a demo center
screenshots: sysdeps-run $(VENV)/.runtime-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python docs/make_screenshots.py

package: sysdeps-package $(VENV)/.dev-installed
	rm -rf $(BUNDLE)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/tochka.spec
	$(BIN)/python packaging/linux/build_deb.py --bundle $(BUNDLE) --out dist $(if $(TARBALL),--tarball)
	@du -sh $(BUNDLE) $(DEB)

package-test: sysdeps-package $(VENV)/.dev-installed
	@if [ ! -x $(BUNDLE)/tochka-readiness ] || [ ! -f $(DEB) ]; then \
	  $(MAKE) --no-print-directory package; fi
	$(BIN)/python packaging/package_test.py --bundle $(BUNDLE) --deb $(DEB)

bench-bundle: sysdeps-package $(VENV)/.dev-installed
	@if [ ! -x $(BUNDLE)/tochka-readiness ] || [ ! -f $(DEB) ]; then \
	  $(MAKE) --no-print-directory package; fi
	$(BIN)/python bench/bundle.py --bundle $(BUNDLE) --deb $(DEB)

sysdeps-package:
	@$(MAKE) --no-print-directory _apt DEBS="$(QT_DEBS) $(XCB_DEBS) $(PACKAGE_DEBS)"
