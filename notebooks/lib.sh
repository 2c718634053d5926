# Shared by notebooks/run.sh and notebooks/gophernotes.sh; source it from
# the repository root with $here set to notebooks/. Every step is
# idempotent: a second run installs and builds nothing.

# Jupyter comes from Debian: a pyenv or virtualenv python3 earlier on PATH
# has no nbconvert, so Debian's own is called by its full path.
JUPYTER=/usr/bin/jupyter
PYTHON=/usr/bin/python3

# What the headless runs need from Debian 12: nbconvert drives a kernel
# through nbclient and jupyter-client; graphviz draws the XOR notebook's
# networks. gcc, which gophernotes needs to build plugins, comes with CI.
debian_packages=(jupyter-nbconvert python3-nbclient jupyter-client python3-nbformat graphviz)

die() {
	echo "notebooks: $*" >&2
	exit 1
}

# install_debian_packages installs the Debian packages that are missing,
# as root or through password-less sudo, and prints the versions in use.
install_debian_packages() {
	local missing=() p sudo=()
	for p in "${debian_packages[@]}"; do
		if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
			missing+=("$p")
		fi
	done
	if ((${#missing[@]} > 0)); then
		if ((EUID != 0)); then
			if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
				sudo=(sudo -n)
			else
				die "missing Debian packages; as root run: apt-get install -y --no-install-recommends ${missing[*]}"
			fi
		fi
		echo "notebooks: installing ${missing[*]}"
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	echo "notebooks: $(dpkg-query -W -f='${Package} ${Version}, ' "${debian_packages[@]}" | sed 's/, $//')"
}

# tools_bin is where the kernels are built.
tools_bin() {
	local bin="${NOTEBOOKS_BIN:-$(go env GOPATH)/bin}"
	mkdir -p "$bin"
	(cd "$bin" && pwd)
}

# up_to_date reports whether a stamp file records the given fingerprint.
up_to_date() {
	[[ -f "$1" && "$(cat "$1")" == "$2" ]]
}

# build_gonb builds GoNB and goimports (which GoNB runs on every cell) at
# the versions pinned in notebooks/tools, unless the stamp says they are
# already built from that go.sum with this Go. `go install pkg@version`
# cannot be used: the module proxy refuses the version lists it asks for.
build_gonb() {
	local bin stamp want
	bin="$(tools_bin)"
	stamp="$bin/.featlearn-gonb"
	want="$(cat "$here/tools/go.mod" "$here/tools/go.sum" | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
	if [[ -x "$bin/gonb" && -x "$bin/goimports" ]] && up_to_date "$stamp" "$want"; then
		echo "notebooks: gonb and goimports in $bin are up to date"
	else
		echo "notebooks: building gonb and goimports into $bin"
		(
			cd "$here/tools"
			export GOWORK=off GOFLAGS=-mod=readonly
			go build -o "$bin/gonb" github.com/janpfeifer/gonb
			go build -o "$bin/goimports" golang.org/x/tools/cmd/goimports
		)
		echo "$want" >"$stamp"
	fi
	export PATH="$bin:$PATH"
}

# register_gonb_kernel writes the kernel spec "gonb" into the user's
# Jupyter data directory (or $JUPYTER_DATA_DIR).
register_gonb_kernel() {
	"$(tools_bin)/gonb" --install --force_deps --raw_error 2>/dev/null ||
		die "gonb --install failed"
}

# output_dir prints the directory that receives executed notebooks and logs.
output_dir() {
	if [[ -n "${NOTEBOOKS_OUT:-}" ]]; then
		mkdir -p "$NOTEBOOKS_OUT"
		(cd "$NOTEBOOKS_OUT" && pwd)
	else
		mktemp -d "${TMPDIR:-/tmp}/featlearn-notebooks.XXXXXX"
	fi
}

# run_notebook KERNEL NOTEBOOK OUT executes a notebook on a kernel and
# checks the result: nbconvert fails on a cell that raises (a Go compile
# error or panic), and check.py on any error output it let through. The
# executed notebook goes to OUT/KERNEL, or over the source with
# NOTEBOOKS_INPLACE=1; the log goes to OUT/KERNEL.
run_notebook() {
	local kernel="$1" nb="$2" out="$3/$1" name dest log start
	name="$(basename "$nb" .ipynb)"
	mkdir -p "$out"
	dest="$out"
	if [[ "${NOTEBOOKS_INPLACE:-0}" == 1 ]]; then
		dest="$(cd "$(dirname "$nb")" && pwd)"
	fi
	log="$out/$name.log"
	start=$SECONDS
	if "$JUPYTER" nbconvert --to notebook --execute \
		--ExecutePreprocessor.kernel_name="$kernel" \
		--ExecutePreprocessor.timeout="${NOTEBOOKS_TIMEOUT:-900}" \
		--ExecutePreprocessor.record_timing=False \
		--output-dir "$dest" --output "$name" "$nb" >"$log" 2>&1 &&
		"$PYTHON" "$here/check.py" "$dest/$name.ipynb" >>"$log" 2>&1; then
		echo "PASS $nb on $kernel ($((SECONDS - start)) s)"
	else
		echo "FAIL $nb on $kernel ($((SECONDS - start)) s); the end of $log:"
		grep -v '^[IW][0-9]\{4\} ' "$log" | tail -n 40 | sed 's/^/    /'
		return 1
	fi
}

# gophernotes is built from its v0.7.5 source (the last release), which
# does not run on Go 1.26 as released; notebooks/tools/gophernotes holds
# what makes it work: go.mod and go.sum pinning gomacro at the commit that
# copes with Go 1.26's type checker, golang.org/x/tools v0.52.0 and
# `godebug gotypesalias=0`, and the two-line fix of its display proxy
# (x_package.patch) that only its unreleased master has.
gophernotes_version=v0.7.5

# build_gophernotes builds gophernotes into tools_bin unless the stamp says
# it is built from these pins with this Go.
build_gophernotes() {
	local bin stamp want src dir
	bin="$(tools_bin)"
	stamp="$bin/.featlearn-gophernotes"
	want="$(cat "$here"/tools/gophernotes/* | sha256sum | cut -d' ' -f1) $gophernotes_version $(go env GOVERSION)"
	if [[ -x "$bin/gophernotes" ]] && up_to_date "$stamp" "$want"; then
		echo "notebooks: gophernotes in $bin is up to date"
		return
	fi
	echo "notebooks: building gophernotes $gophernotes_version into $bin"
	dir="$(cd / && GOFLAGS=-mod=mod GOWORK=off go mod download -json "github.com/gopherdata/gophernotes@$gophernotes_version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	[[ -d "$dir" ]] || die "go mod download found no gophernotes $gophernotes_version"
	src="$(mktemp -d "${TMPDIR:-/tmp}/gophernotes-src.XXXXXX")"
	cp -R "$dir/." "$src"
	chmod -R u+w "$src"
	cp "$here/tools/gophernotes/go.mod.pinned" "$src/go.mod"
	cp "$here/tools/gophernotes/go.sum.pinned" "$src/go.sum"
	(cd "$src" && git apply "$here/tools/gophernotes/x_package.patch")
	# GONOSUMDB: the checksum database has no record of the gomacro commit;
	# go.sum.pinned holds its hash instead.
	(cd "$src" && GOWORK=off GOFLAGS=-mod=readonly GONOSUMDB=github.com/cosmos72 go build -o "$bin/gophernotes" .)
	rm -rf "$src"
	echo "$want" >"$stamp"
}

# register_gophernotes_kernel writes the kernel spec "gophernotes". Its
# environment lets gomacro build featlearn into plugins: modules come from
# the module cache only (the proxy cannot serve featlearn, which gomacro
# maps to this checkout with a replace directive), and gorgonia's old
# go4.org/unsafe/assume-no-moving-gc pin is told that this Go is fine.
register_gophernotes_kernel() {
	local dir bin goversion
	dir="${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/gophernotes"
	bin="$(tools_bin)/gophernotes"
	goversion="$(go env GOVERSION | sed 's/^\(go[0-9]*\.[0-9]*\).*/\1/')"
	mkdir -p "$dir"
	cat >"$dir/kernel.json" <<JSON
{
  "argv": ["$bin", "{connection_file}"],
  "display_name": "Go (gophernotes)",
  "language": "go",
  "env": {
    "GOPROXY": "off",
    "ASSUME_NO_MOVING_GC_UNSAFE_RISK_IT_WITH": "$goversion"
  }
}
JSON
}
