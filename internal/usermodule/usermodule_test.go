package usermodule

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root returns the checkout's root, two directories up.
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// readmeProgram returns the Go program between README's user-module markers.
func readmeProgram(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- user-module:begin -->\\s*```go\\n(.*?)```\\s*<!-- user-module:end -->").FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md has no Go program between the user-module markers")
	}
	return string(m[1])
}

// goCmd runs the go command in dir and returns its combined output.
func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out.String())
	}
	return out.String()
}

// scratch makes a module example.com/mine holding README's program in a
// temporary directory outside the tree.
func scratch(t *testing.T, program string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mine")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	goCmd(t, dir, nil, "mod", "init", "example.com/mine")
	return dir
}

// checkRun runs the scratch module's program and checks what it prints.
func checkRun(t *testing.T, dir string, env []string) {
	t.Helper()
	out := goCmd(t, dir, env, "run", ".")
	if !regexp.MustCompile(`test accuracy (9[0-9]|100)\.\d\d%`).MatchString(out) {
		t.Fatalf("README's program printed:\n%s\nwant a test accuracy of at least 90%%", out)
	}
	t.Logf("README's program: %s", strings.TrimSpace(out))
}

// TestREADMEProgramWithWorkspace follows README: go work init . ../featlearn.
func TestREADMEProgramWithWorkspace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and trains a program in a scratch module")
	}
	r := root(t)
	dir := scratch(t, readmeProgram(t, r))
	goCmd(t, dir, nil, "work", "init", ".", r)
	checkRun(t, dir, nil)
}

// TestREADMEProgramWithReplace follows README's alternative: a replace
// directive, featlearn's go.sum, go mod tidy.
func TestREADMEProgramWithReplace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and trains a program in a scratch module")
	}
	r := root(t)
	dir := scratch(t, readmeProgram(t, r))
	goCmd(t, dir, nil, "mod", "edit", "-replace", "github.com/featlearn/featlearn="+r,
		"-require", "github.com/featlearn/featlearn@v0.0.0-00010101000000-000000000000")
	sum, err := os.ReadFile(filepath.Join(r, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	// The workspace of the checkout must not leak into the scratch module.
	env := []string{"GOWORK=off"}
	goCmd(t, dir, env, "mod", "tidy")
	checkRun(t, dir, env)
}
