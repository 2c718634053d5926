#!/usr/bin/env bash
# Executes featlearn's notebooks headlessly on the GoNB kernel and reports
# "N passed, N failed" on its last line; exits non-zero if any failed.
#
#   notebooks/run.sh [NOTEBOOK.ipynb ...]     (default: notebooks/*.ipynb)
#
# It installs what it needs, idempotently: Jupyter's headless runner and
# Graphviz from Debian (apt-get, as root or through sudo), and GoNB and
# goimports at the exact versions of notebooks/tools/go.mod.
#
# Environment:
#   NOTEBOOKS_OUT      where executed notebooks and logs go (default: a new
#                      temporary directory, so a run never dirties the clone)
#   NOTEBOOKS_INPLACE  1: write the executed notebooks back over the sources,
#                      to commit them with their outputs
#   NOTEBOOKS_TIMEOUT  seconds a cell may run (default 900)
#   NOTEBOOKS_BIN      where the tools are built (default: $(go env GOPATH)/bin)
#   FEATLEARN_GOPHERNOTES  1: afterwards run notebooks/gophernotes.sh too
#                      (slow; its notebooks count in the closing line)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

# shellcheck source=notebooks/lib.sh
source "$here/lib.sh"

install_debian_packages
build_gonb
register_gonb_kernel

# The notebooks to run, relative to the repository root.
notebooks=()
if (($# > 0)); then
	for nb in "$@"; do
		notebooks+=("$(realpath --relative-to="$root" "$nb")")
	done
else
	for nb in notebooks/*.ipynb; do
		notebooks+=("$nb")
	done
fi

out="$(output_dir)"
echo "notebooks: outputs in $out"
passed=0
failed=0
for nb in "${notebooks[@]}"; do
	if run_notebook gonb "$nb" "$out"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done

if [[ "${FEATLEARN_GOPHERNOTES:-0}" == 1 ]]; then
	# Fold gophernotes.sh's closing line into ours; a run that ends without
	# one counts as a failure.
	summarised=0
	while IFS= read -r line; do
		if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
			passed=$((passed + BASH_REMATCH[1]))
			failed=$((failed + BASH_REMATCH[2]))
			summarised=1
		else
			echo "$line"
		fi
	done < <(NOTEBOOKS_OUT="$out" "$here/gophernotes.sh" 2>&1 || true)
	if ((summarised == 0)); then
		echo "FAIL notebooks/gophernotes.sh ended without a summary"
		failed=$((failed + 1))
	fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
