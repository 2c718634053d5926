#!/usr/bin/env bash
# Opens featlearn's notebooks interactively in the classic Jupyter Notebook
# from Debian, with both Go kernels (GoNB and gophernotes) registered.
#
#   notebooks/jupyter.sh            # set up, then serve notebooks/ on http://127.0.0.1:8888
#   notebooks/jupyter.sh --setup    # set up only: packages, kernels; print how to start
#   notebooks/jupyter.sh --check    # set up, start, list the kernels the server offers, stop
#
# It installs, idempotently, Debian's jupyter-notebook next to what
# notebooks/run.sh installs, builds GoNB, goimports and the patched
# gophernotes (see docs/notebooks.md), and registers both kernel specs.
# Environment: JUPYTER_PORT (default 8888), JUPYTER_IP (default 127.0.0.1),
# NOTEBOOKS_BIN as in run.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

# shellcheck source=notebooks/lib.sh
source "$here/lib.sh"

mode="${1:-serve}"
case "$mode" in
serve | --setup | --check) ;;
*) die "usage: notebooks/jupyter.sh [--setup | --check]" ;;
esac

debian_packages+=(jupyter-notebook)
install_debian_packages
go mod download
build_gonb
register_gonb_kernel
build_gophernotes
register_gophernotes_kernel

port="${JUPYTER_PORT:-8888}"
ip="${JUPYTER_IP:-127.0.0.1}"
args=(notebook --no-browser --ip="$ip" --port="$port" --notebook-dir="$here")
# Jupyter refuses to run as root unless told; containers often are root.
((EUID == 0)) && args+=(--allow-root)

if [[ "$mode" == --setup ]]; then
	echo "notebooks: set up; start with: PATH=\"$(tools_bin):\$PATH\" /usr/bin/jupyter ${args[*]}"
	exit 0
fi

export PATH="$(tools_bin):$PATH"
if [[ "$mode" == serve ]]; then
	echo "notebooks: serving $here on http://$ip:$port (Ctrl-C stops)"
	exec /usr/bin/jupyter "${args[@]}"
fi

# --check: start the server with a known token, ask it which kernels it
# offers, and stop it.
token="featlearn-check-$$"
log="$(mktemp)"
/usr/bin/jupyter "${args[@]}" --NotebookApp.token="$token" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
specs=""
for _ in $(seq 60); do
	if specs="$(curl -fsS "http://$ip:$port/api/kernelspecs?token=$token" 2>/dev/null)"; then
		break
	fi
	sleep 1
done
[[ -n "$specs" ]] || { cat "$log"; die "the notebook server did not answer on port $port"; }
for k in gonb gophernotes; do
	grep -q "\"$k\"" <<<"$specs" || die "the notebook server does not offer the $k kernel: $specs"
done
echo "notebooks: the notebook server on port $port offers the kernels gonb and gophernotes"
