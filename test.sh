#!/usr/bin/env bash
# Runs every test of fedcat: installs the tools the tests drive when they are missing, then
# `cargo test` with this script's arguments (`./test.sh --test e2e dedup`).
#
# What the tests need besides Rust, each checked before anything is installed, so a second run
# installs nothing:
#   - clang and libclang, to build RocksDB under Oxigraph (build.rs says so too);
#   - the recorded portal fixtures in ../shared/fixtures, read in place;
#   - python3 with the pinned clients tests/clients/check_clients.py drives; udata with
#     mongomock (tests/consumers/.venv) and CKAN with ckanext-dcat and ckanext-harvest
#     (tests/consumers/.venv-ckan) for tests/e2e/consumers.rs;
#   - node/npm and `npm ci` in tests/w3c (rdf-test-suite), tests/comunica (Comunica) and
#     tests/browser (playwright-core, axe-core);
#   - Debian's chromium (or $CHROMIUM), which tests/browser/browser.js drives.
# Packages come from apt-get (as root, or through sudo); Python packages from pip (into the
# interpreter's site-packages when writable, else --user). See docs/TESTING.md.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON_PINS=(ckanapi==4.11 SPARQLWrapper==2.0.0 rdflib==7.6.0 pyshacl==0.40.1)
NODE_MIN_MAJOR=18 # playwright-core 1.49 and rdf-test-suite 2.8

say() { echo "test.sh: $*" >&2; }
die() {
  say "error: $*"
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# --- What is already there -----------------------------------------------------------------

if [ ! -d ../shared/fixtures ]; then
  die "../shared/fixtures is missing: the tests read the recorded portal fixtures there, beside
this repository ($(pwd)). Put the shared directory next to it (never copy fixtures into the repository)."
fi
have cargo || die "cargo is missing: install Rust $(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml) or newer with rustup (https://rustup.rs)"

apt_packages=()

# The RocksDB build: clang (a C++ compiler and clang's headers) and libclang, which bindgen
# loads (build.rs looks in more places and names what is missing).
have_libclang() {
  [ -n "${LIBCLANG_PATH:-}" ] && return 0
  local pattern
  for pattern in /usr/lib/llvm-*/lib/libclang.so* /usr/lib/llvm-*/lib/libclang-[0-9]*.so* \
    /usr/lib/*/libclang.so* /usr/lib/*/libclang-[0-9]*.so* /usr/lib64/libclang.so* \
    /usr/lib/libclang.so* /usr/local/lib/libclang.so*; do
    compgen -G "$pattern" >/dev/null && return 0
  done
  return 1
}
have clang || apt_packages+=(clang)
have_libclang || apt_packages+=(libclang-dev)

# The third-party Python clients, at the versions the tests were written against.
python_missing() {
  python3 - "${PYTHON_PINS[@]}" <<'PY'
import sys
from importlib import metadata

missing = []
for pin in sys.argv[1:]:
    name, wanted = pin.split("==")
    try:
        found = metadata.version(name)
    except metadata.PackageNotFoundError:
        found = None
    if found != wanted:
        missing.append(pin)
print(" ".join(missing))
PY
}
pip_pins=()
if have python3; then
  missing=$(python_missing)
  read -r -a pip_pins <<<"$missing"
  if [ ${#pip_pins[@]} -gt 0 ] && ! python3 -m pip --version >/dev/null 2>&1; then
    apt_packages+=(python3-pip)
  fi
else
  apt_packages+=(python3 python3-pip)
  pip_pins=("${PYTHON_PINS[@]}")
fi

# udata (data.gouv.fr's DCAT harvester) and mongomock, which tests/e2e/consumers.rs drives, live
# in a virtual environment of their own (tests/consumers/.venv): udata pins its own rdflib,
# Flask… which the clients above must not get. `python3 -m venv` needs ensurepip (Debian:
# python3-venv).
CONSUMER_PINS=(udata==17.18.0 mongomock==4.3.0)
CONSUMER_VENV=tests/consumers/.venv
if have python3 && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  apt_packages+=(python3-venv)
fi
# CKAN, ckanext-dcat and ckanext-harvest (tests/e2e/consumers.rs), in a second environment: CKAN
# pins its own Flask, SQLAlchemy, rdflib… CKAN's requirements build psycopg2 (libpq-dev) and
# read file types with libmagic.
CKAN_PINS=("ckan[requirements]==2.12.0" ckanext-dcat==2.4.4 ckanext-harvest==1.6.3)
CKAN_VENV=tests/consumers/.venv-ckan
if have dpkg; then
  dpkg -s libpq-dev >/dev/null 2>&1 || apt_packages+=(libpq-dev)
  dpkg -s libmagic1 >/dev/null 2>&1 || apt_packages+=(libmagic1)
fi
# psycopg2 is compiled: Python's headers and a C compiler.
if have python3 && ! python3 -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null; then
  apt_packages+=(python3-dev)
fi
have cc || have gcc || apt_packages+=(gcc)

# node and npm for rdf-test-suite and playwright-core.
if ! have node || ! have npm; then
  apt_packages+=(nodejs npm)
fi

# Chromium, driven by tests/browser/browser.js ($CHROMIUM, else /usr/bin/chromium).
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  apt_packages+=(chromium)
fi

# --- Installing what is missing --------------------------------------------------------------

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

if [ ${#apt_packages[@]} -gt 0 ]; then
  if ! have apt-get; then
    die "missing: ${apt_packages[*]} (Debian package names). Install them with your system's
package manager (Fedora: clang clang-devel python3-pip nodejs npm chromium; or set CHROMIUM to a
Chromium binary), then run ./test.sh again."
  fi
  if [ "$(id -u)" -ne 0 ] && ! have sudo; then
    die "missing: ${apt_packages[*]}. As root, run:
  apt-get install -y ${apt_packages[*]}
then ./test.sh again."
  fi
  say "installing ${apt_packages[*]} (apt-get)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

if [ ${#pip_pins[@]} -gt 0 ]; then
  say "installing ${pip_pins[*]} (pip)"
  pip_args=(--quiet)
  # Debian 12's system Python refuses pip without this flag (PEP 668); older pips lack it.
  pip_help=$(python3 -m pip install --help 2>/dev/null || true)
  if [[ $pip_help == *--break-system-packages* ]]; then
    pip_args+=(--break-system-packages)
  fi
  # Into the interpreter's own site-packages (root, a virtualenv, pyenv), else the user's.
  if ! python3 -c 'import os, sys, sysconfig; sys.exit(not os.access(sysconfig.get_paths()["purelib"], os.W_OK))'; then
    pip_args+=(--user)
  fi
  python3 -m pip install "${pip_args[@]}" "${pip_pins[@]}"
  left=$(python_missing)
  [ -z "$left" ] || die "pip installed but python3 still does not find $left"
fi

# The consumers' environments, again only when their pins changed (written in a stamp file).
pinned_venv() {
  local venv=$1
  shift
  local stamp="$venv/.fedcat-pins"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$*" ]; then
    say "installing $* in $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "$@"
    echo "$*" >"$stamp"
  fi
}
pinned_venv "$CONSUMER_VENV" "${CONSUMER_PINS[@]}"
pinned_venv "$CKAN_VENV" "${CKAN_PINS[@]}"

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt "$NODE_MIN_MAJOR" ]; then
  die "node $(node --version) is too old for the browser and W3C tests: install node $NODE_MIN_MAJOR or newer"
fi

# `npm ci` only when node_modules is missing or older than the lock file (npm writes
# node_modules/.package-lock.json at every install).
for dir in tests/w3c tests/browser tests/comunica; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "npm ci in $dir"
    (cd "$dir" && npm ci --silent --no-audit --no-fund)
  fi
done

# --- The tests -------------------------------------------------------------------------------

exec cargo test "$@"
