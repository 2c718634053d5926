package notebooks

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// module is featlearn's module path, which GoNB notebooks import.
const module = "github.com/featlearn/featlearn"

// notebook is the part of a .ipynb file the tests look at.
type notebook struct {
	NBFormat int `json:"nbformat"`
	Metadata struct {
		KernelSpec struct {
			Name string `json:"name"`
		} `json:"kernelspec"`
	} `json:"metadata"`
	Cells []cell `json:"cells"`
}

type cell struct {
	CellType       string          `json:"cell_type"`
	Source         json.RawMessage `json:"source"`
	ExecutionCount *int            `json:"execution_count"`
	Outputs        []struct {
		OutputType string                     `json:"output_type"`
		Name       string                     `json:"name"`
		EName      string                     `json:"ename"`
		EValue     string                     `json:"evalue"`
		Data       map[string]json.RawMessage `json:"data"`
	} `json:"outputs"`
}

// text returns a cell's source, which nbformat stores as a string or as a
// list of lines.
func (c cell) text(t *testing.T) string {
	var s string
	if err := json.Unmarshal(c.Source, &s); err == nil {
		return s
	}
	var lines []string
	if err := json.Unmarshal(c.Source, &lines); err != nil {
		t.Fatalf("cell source is neither a string nor a list of strings: %v", err)
	}
	return strings.Join(lines, "")
}

func read(t *testing.T, path string) notebook {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb notebook
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return nb
}

// imports returns the import paths of a cell's Go code. GoNB cells may hold
// shell lines (!...) and special commands (%...); the Go code before a
// "%%" line is declarations, imports first.
func imports(t *testing.T, src string) []string {
	t.Helper()
	var code []string
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "%%" || strings.HasPrefix(trimmed, "%main") {
			break
		}
		if strings.HasPrefix(trimmed, "!") || strings.HasPrefix(trimmed, "%") {
			code = append(code, "")
			continue
		}
		code = append(code, line)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "cell.go", "package cell\n"+strings.Join(code, "\n"), parser.ImportsOnly)
	if err != nil {
		// Statements at the top level (gophernotes) end the imports; what
		// came before them parsed.
		if f == nil {
			t.Fatalf("cell does not parse: %v\n%s", err, src)
		}
	}
	var paths []string
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// isStd says whether an import path names a standard-library package.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") && !strings.HasPrefix(path, ".")
}

// hasGo says whether dir holds a Go package.
func hasGo(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			return true
		}
	}
	return false
}

// checkRun checks that every code cell of a committed notebook ran
// without an error and that the notebook shows pictures.
func checkRun(t *testing.T, path string, nb notebook) {
	t.Helper()
	pictures := 0
	for i, c := range nb.Cells {
		if c.CellType != "code" || strings.TrimSpace(c.text(t)) == "" {
			continue
		}
		if c.ExecutionCount == nil {
			t.Errorf("%s: cell %d was not run: commit the notebook executed (NOTEBOOKS_INPLACE=1 notebooks/run.sh)", path, i)
		}
		for _, o := range c.Outputs {
			if o.OutputType == "error" {
				t.Errorf("%s: cell %d: %s: %s", path, i, o.EName, o.EValue)
			}
			if _, ok := o.Data["image/png"]; ok {
				pictures++
			}
		}
	}
	if pictures == 0 {
		t.Errorf("%s: no pictures in the outputs", path)
	}
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no notebooks match %s", pattern)
	}
	return paths
}

// TestGoNBNotebooks checks the GoNB notebooks: committed executed, the
// setup cell that points GoNB at this checkout first, and imports of
// featlearn's packages, the standard library and gonbui only.
func TestGoNBNotebooks(t *testing.T) {
	paths := glob(t, "*.ipynb")
	if len(paths) < 4 {
		t.Errorf("%d GoNB notebooks, want at least 4", len(paths))
	}
	for _, path := range paths {
		nb := read(t, path)
		if nb.NBFormat != 4 || nb.Metadata.KernelSpec.Name != "gonb" {
			t.Errorf("%s: nbformat %d, kernel %q; want 4 and gonb", path, nb.NBFormat, nb.Metadata.KernelSpec.Name)
		}
		checkRun(t, path, nb)
		setup := false
		for i, c := range nb.Cells {
			if c.CellType != "code" {
				continue
			}
			src := c.text(t)
			if !setup {
				if !strings.Contains(src, "go mod edit -replace "+module+"=${GONB_DIR}/..") {
					t.Errorf("%s: the first code cell must point GoNB at this checkout:\n%s", path, src)
				}
				setup = true
				continue
			}
			for _, p := range imports(t, src) {
				switch {
				case isStd(p), p == "github.com/janpfeifer/gonb/gonbui":
				case p == module || strings.HasPrefix(p, module+"/"):
					if !hasGo(filepath.Join("..", strings.TrimPrefix(p, module))) {
						t.Errorf("%s: cell %d imports %s, which is not a package of this checkout", path, i, p)
					}
				default:
					t.Errorf("%s: cell %d imports %s: notebooks import only featlearn, the standard library and gonbui", path, i, p)
				}
			}
		}
	}
}

// TestGophernotesNotebooks checks the gophernotes notebooks: committed
// executed, featlearn's packages imported by relative path (gomacro maps
// them to this checkout; a module path would send it to the proxy), nothing
// else but the standard library and gophernotes' display package.
func TestGophernotesNotebooks(t *testing.T) {
	for _, path := range glob(t, filepath.Join("gophernotes", "*.ipynb")) {
		nb := read(t, path)
		if nb.NBFormat != 4 || nb.Metadata.KernelSpec.Name != "gophernotes" {
			t.Errorf("%s: nbformat %d, kernel %q; want 4 and gophernotes", path, nb.NBFormat, nb.Metadata.KernelSpec.Name)
		}
		checkRun(t, path, nb)
		for i, c := range nb.Cells {
			if c.CellType != "code" {
				continue
			}
			for _, p := range imports(t, c.text(t)) {
				switch {
				case p == "display", isStd(p):
				case strings.HasPrefix(p, "../"):
					// The kernel runs in the notebook's folder.
					if !hasGo(filepath.Join(filepath.Dir(path), p)) {
						t.Errorf("%s: cell %d imports %s, which is not a package of this checkout", path, i, p)
					}
				default:
					t.Errorf("%s: cell %d imports %s: notebooks import only featlearn (by relative path), the standard library and display", path, i, p)
				}
			}
		}
	}
}

// TestRun executes the GoNB notebooks with notebooks/run.sh, which installs
// Jupyter and GoNB; it takes minutes, so it runs only with
// FEATLEARN_NOTEBOOKS=1 (and FEATLEARN_GOPHERNOTES=1 adds gophernotes).
func TestRun(t *testing.T) {
	if os.Getenv("FEATLEARN_NOTEBOOKS") != "1" {
		t.Skip("set FEATLEARN_NOTEBOOKS=1 to execute the notebooks (notebooks/run.sh)")
	}
	cmd := exec.Command("./run.sh")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("run.sh: %v", err)
	}
}
