package trainapp_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/datasets/mnisttest"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/safetensors"
	"github.com/featlearn/featlearn/internal/trainapp"
	"github.com/featlearn/featlearn/models/lenet"
)

// featlearn returns cmd/featlearn's App.
func featlearn() *trainapp.App {
	return &trainapp.App{Name: trainapp.ModelName, Title: "featlearn", Defaults: lenet.DefaultRecipe(), AnyData: true}
}

// runApp calls Main on an App and returns its exit status, stdout and
// stderr.
func runApp(app *trainapp.App, args ...string) (int, string, string) {
	var out, errs bytes.Buffer
	code := trainapp.Main(app, args, &out, &errs)
	return code, out.String(), errs.String()
}

// mustRunApp fails the test unless the command exits with want.
func mustRunApp(t *testing.T, app *trainapp.App, want int, args ...string) (string, string) {
	t.Helper()
	code, out, errs := runApp(app, args...)
	if code != want {
		t.Fatalf("%s %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", app.Name, args, code, want, out, errs)
	}
	return out, errs
}

// sameWeights fails unless two checkpoints hold the same tensors, bit for
// bit, optimizer state included.
func sameWeights(t *testing.T, a, b string) {
	t.Helper()
	fa, err := safetensors.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := safetensors.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(fa.Tensors) == 0 || len(fa.Tensors) != len(fb.Tensors) {
		t.Fatalf("%d and %d tensors", len(fa.Tensors), len(fb.Tensors))
	}
	for _, ta := range fa.Tensors {
		tb, ok := fb.Tensor(ta.Name)
		if !ok || !bytes.Equal(ta.Data, tb.Data) {
			t.Fatalf("tensor %s differs between %s and %s", ta.Name, a, b)
		}
	}
}

// TestFeatlearnTrainsExactlyAsLenet trains LeNet-5 with lenet and with
// featlearn, by its SPEC and by the default, from the same seed: every
// weight and the optimizer's state must agree bit for bit.
func TestFeatlearnTrainsExactlyAsLenet(t *testing.T) {
	base := []string{"train", "-train-n", "640", "-epochs", "2", "-seed", "3", "-progress", "lines"}
	ref := t.TempDir()
	mustRunApp(t, app(), 0, append(base, "-out", ref)...)
	bySpec, byDefault := t.TempDir(), t.TempDir()
	_, errs := mustRunApp(t, featlearn(), 0, append(base, "-out", bySpec, "-arch", lenet.Arch)...)
	mustRunApp(t, featlearn(), 0, append(base, "-out", byDefault)...)
	sameWeights(t, graph.CheckpointPath(ref), graph.CheckpointPath(bySpec))
	sameWeights(t, graph.CheckpointPath(ref), graph.CheckpointPath(byDefault))
	if !strings.Contains(errs, "network: "+lenet.Arch+", 61706 parameters") {
		t.Errorf("stderr:\n%s", errs)
	}
	// A changed recipe must change the weights, or the test proves nothing.
	other := t.TempDir()
	mustRunApp(t, featlearn(), 0, append(base, "-out", other, "-lr", "0.04")...)
	fa, _ := safetensors.ReadFile(graph.CheckpointPath(ref))
	fb, _ := safetensors.ReadFile(graph.CheckpointPath(other))
	ta, _ := fa.Tensor("fc3.weight")
	tb, _ := fb.Tensor("fc3.weight")
	if bytes.Equal(ta.Data, tb.Data) {
		t.Error("another learning rate gave the same weights")
	}
	// featlearn reads lenet's checkpoints too.
	out, _ := mustRunApp(t, featlearn(), 0, "eval", "-ckpt", graph.CheckpointPath(ref), "-png", "-")
	if !strings.Contains(out, "lenet "+lenet.Arch) || !strings.Contains(out, "accuracy") {
		t.Errorf("eval of lenet's checkpoint:\n%s", out)
	}
}

// writeIDX writes a Set as MNIST's two IDX files under dir with the given
// prefix ("train" or "t10k").
func writeIDX(t *testing.T, dir, prefix string, s *datasets.Set) {
	t.Helper()
	var img, lab bytes.Buffer
	binary.Write(&img, binary.BigEndian, []uint32{0x803, uint32(s.N), uint32(s.Rows), uint32(s.Cols)})
	img.Write(s.Images)
	binary.Write(&lab, binary.BigEndian, []uint32{0x801, uint32(s.N)})
	lab.Write(s.Labels)
	for name, b := range map[string][]byte{prefix + "-images-idx3-ubyte": img.Bytes(), prefix + "-labels-idx1-ubyte": lab.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFolderTrainsAsIDX writes the same MNIST digits as IDX files and as
// a folder of PNGs: with the same recipe and split, training through the
// folder gives the very weights training through the IDX files gives.
func TestFolderTrainsAsIDX(t *testing.T) {
	m := mnisttest.MNIST(t)
	train, test := m.Train.First(1000), m.Test.First(300)
	idx, folder := t.TempDir(), filepath.Join(t.TempDir(), "digits")
	writeIDX(t, idx, "train", train)
	writeIDX(t, idx, "t10k", test)
	if err := datasets.WriteFolder(folder, train, test, datasets.WritePNGFiles); err != nil {
		t.Fatal(err)
	}
	base := []string{"train", "-epochs", "2", "-progress", "lines", "-shift", "1", "-rotate", "5"}
	fromIDX, fromFolder := t.TempDir(), t.TempDir()
	_, errs := mustRunApp(t, featlearn(), 0, append(base, "-data", idx, "-out", fromIDX)...)
	if !strings.Contains(errs, "holds MNIST IDX files") || !strings.Contains(errs, "on 900 images, validating on 100") {
		t.Errorf("IDX run:\n%s", errs)
	}
	_, errs = mustRunApp(t, featlearn(), 0, append(base, "-data", folder, "-out", fromFolder, "-val-split", "last")...)
	if !strings.Contains(errs, "holds an image folder") || !strings.Contains(errs, "distorted: shift 1, rotate 5°") {
		t.Errorf("folder run:\n%s", errs)
	}
	sameWeights(t, graph.CheckpointPath(fromIDX), graph.CheckpointPath(fromFolder))
	// A digit drawn black on white, prepared as MNIST's were, is the
	// same input to both models.
	photo := filepath.Join(t.TempDir(), "seven.png")
	inverted := image.NewGray(image.Rect(0, 0, 40, 40))
	for i := range inverted.Pix {
		inverted.Pix[i] = 255
	}
	seven := m.Test.Digit(0)
	for y := range 28 {
		for x := range 28 {
			inverted.Pix[(y+6)*40+x+6] = 255 - seven.Pix[y*28+x]
		}
	}
	var b bytes.Buffer
	png.Encode(&b, inverted)
	os.WriteFile(photo, b.Bytes(), 0o644)
	a, _ := mustRunApp(t, featlearn(), 0, "predict", "-ckpt", graph.CheckpointPath(fromIDX), photo)
	c, _ := mustRunApp(t, featlearn(), 0, "predict", "-digit", "-ckpt", graph.CheckpointPath(fromFolder), photo)
	if a != c {
		t.Errorf("predict through IDX:\n%s\nthrough the folder with -digit:\n%s", a, c)
	}
}

// colourFolder writes a folder of 16x16 RGB images of three classes, a
// red, a green and a blue blob on noise, and returns its path.
func colourFolder(t *testing.T, perClass int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	rng := rand.New(rand.NewPCG(1, 1))
	for c, name := range []string{"red", "green", "blue"} {
		for i := range perClass {
			img := image.NewRGBA(image.Rect(0, 0, 16, 16))
			cx, cy := 4+rng.IntN(8), 4+rng.IntN(8)
			for y := range 16 {
				for x := range 16 {
					px := [3]uint8{uint8(rng.IntN(80)), uint8(rng.IntN(80)), uint8(rng.IntN(80))}
					if (x-cx)*(x-cx)+(y-cy)*(y-cy) < 10 {
						px[c] = 200 + uint8(rng.IntN(55))
					}
					img.Set(x, y, color.RGBA{px[0], px[1], px[2], 255})
				}
			}
			sub := "train"
			if i%5 == 0 {
				sub = "test"
			}
			p := filepath.Join(dir, sub, name, strings.Repeat("x", c+1)+string(rune('a'+i%26))+string(rune('a'+i/26))+".png")
			os.MkdirAll(filepath.Dir(p), 0o755)
			var b bytes.Buffer
			png.Encode(&b, img)
			if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func TestColourFolderTrainEvalPredictViz(t *testing.T) {
	data := colourFolder(t, 60)
	out := t.TempDir()
	spec := "conv8@3x3pad1-relu-pool2-conv16@3x3pad1-bn-relu-gap-fc"
	stdout, errs := mustRunApp(t, featlearn(), 0, "train", "-data", data, "-arch", spec, "-epochs", "6", "-lr", "0.02",
		"-flip", "-shift", "1", "-norm", "meanstd", "-out", out, "-progress", "lines")
	if !strings.Contains(errs, "16x16, RGB") || !strings.Contains(errs, "fc3, ") || !strings.Contains(stdout, "blue") ||
		!strings.Contains(errs, "normalised by the training set's channel means [") {
		t.Errorf("train output:\n%s\n%s", stdout, errs)
	}
	ckpt := graph.CheckpointPath(out)
	stdout, _ = mustRunApp(t, featlearn(), 0, "eval", "-ckpt", ckpt)
	if !strings.Contains(stdout, "accuracy 100.00%") && !strings.Contains(stdout, "accuracy 9") {
		t.Errorf("eval: the blobs should be easy:\n%s", stdout)
	}
	img := filepath.Join(data, "test", "green", "xxaa.png")
	stdout, _ = mustRunApp(t, featlearn(), 0, "predict", "-ckpt", ckpt, "-k", "2", img)
	if !strings.Contains(stdout, "xxaa.png\n  1. green") {
		t.Errorf("predict:\n%s", stdout)
	}
	// The same model as ONNX, with its classes and normalisation: eval
	// and predict through the file agree with the checkpoint.
	model := filepath.Join(out, "blobs.onnx")
	stdout, _ = mustRunApp(t, featlearn(), 0, "export", "-ckpt", ckpt, "-o", model)
	if !strings.Contains(stdout, "read back: the same outputs") {
		t.Errorf("export:\n%s", stdout)
	}
	fromCkpt, _ := mustRunApp(t, featlearn(), 0, "eval", "-ckpt", ckpt, "-png", "-")
	fromONNX, _ := mustRunApp(t, featlearn(), 0, "eval", "-onnx", model, "-data", data)
	accuracy := func(s string) string { return s[strings.Index(s, "accuracy"):strings.Index(s, "loss")] }
	if accuracy(fromCkpt) != accuracy(fromONNX) {
		t.Errorf("eval from the checkpoint says %q, from the ONNX file %q", accuracy(fromCkpt), accuracy(fromONNX))
	}
	stdout, _ = mustRunApp(t, featlearn(), 0, "predict", "-onnx", model, "-k", "2", img)
	if !strings.Contains(stdout, "xxaa.png\n  1. green") {
		t.Errorf("predict -onnx:\n%s", stdout)
	}
	if code, _, errs := runApp(featlearn(), "predict", "-ckpt", ckpt, "-digit", img); code != 2 || !strings.Contains(errs, "-digit: the model takes 3x16x16") {
		t.Errorf("-digit for a colour model: exit %d\n%s", code, errs)
	}
	pics := t.TempDir()
	mustRunApp(t, featlearn(), 0, "viz", "-ckpt", ckpt, "-out", pics, "-image", img)
	f, err := os.Open(filepath.Join(pics, "featlearn-filters.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	filters, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	coloured := false
	b := filters.Bounds()
	for y := b.Min.Y; y < b.Max.Y && !coloured; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := filters.At(x, y).RGBA()
			if r != g && g != bl && bl != r {
				coloured = true
				break
			}
		}
	}
	if !coloured {
		t.Error("the first layer's filters over RGB are drawn without colour")
	}
	for _, name := range []string{"input", "maps-conv1", "maps-conv2", "curves"} {
		mustExist(t, filepath.Join(pics, "featlearn-"+name+".png"))
	}
}

// TestMistakesAreOneLineAndWriteNothing feeds train the mistakes a user
// makes: each ends with one line naming it, exit 1 (2 for a flag), and no
// output directory.
func TestMistakesAreOneLineAndWriteNothing(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 8, 8))
	mk := func(files map[string][]byte) string {
		dir := t.TempDir()
		for name, b := range files {
			p := filepath.Join(dir, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if b == nil {
				var buf bytes.Buffer
				png.Encode(&buf, gray)
				b = buf.Bytes()
			}
			os.WriteFile(p, b, 0o644)
		}
		return dir
	}
	good := map[string][]byte{"train/a/1.png": nil, "train/a/2.png": nil, "train/b/1.png": nil, "train/b/2.png": nil, "test/a/1.png": nil}
	with := func(extra map[string][]byte) map[string][]byte {
		m := map[string][]byte{}
		for k, v := range good {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name string
		data string
		args []string
		code int
		want string
	}{
		{"empty folder", mk(nil), nil, 1, "is empty"},
		{"class without images", mk(with(map[string][]byte{"train/c/readme.txt": []byte("x")})), nil, 1, `training class "c" (`},
		{"unreadable image", mk(with(map[string][]byte{"train/b/3.png": []byte("garbage")})), nil, 1, "3.png: not a readable PNG, JPEG or GIF image"},
		{"test class the training set lacks", mk(with(map[string][]byte{"test/z/1.png": nil})), nil, 1, `test class "z"`},
		{"bad SPEC", mk(good), []string{"-arch", "conv6@5x5pad2-relu-conv16@5x"}, 2, `-arch: arch: token 3 "conv16@5x": want conv<N>@<K>x<K>[pad<P>][s<S>]`},
		{"SPEC over the limit", mk(good), []string{"-arch", "fc4096-relu-fc4096-fc", "-max-params", "1000000"}, 2, "more than the limit of 1000000 (raise -max-params"},
		{"SPEC for other classes", mk(good), []string{"-arch", "fc10"}, 2, "there are 2 classes: end it with fc2"},
		{"missing folder", "/nonexistent/folder", nil, 1, "data directory /nonexistent/folder"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"train", "-data", c.data, "-out", out, "-epochs", "1", "-progress", "lines"}, c.args...)
			code, _, errs := runApp(featlearn(), args...)
			var mistakes []string
			for _, l := range strings.Split(strings.TrimSpace(errs), "\n") {
				if strings.HasPrefix(l, "featlearn: ") {
					mistakes = append(mistakes, l)
				}
			}
			if code != c.code || len(mistakes) != 1 || !strings.Contains(mistakes[0], c.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant one line with %q", code, c.code, errs, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
	// -skip-bad trains on, and says how many it skipped.
	data := mk(with(map[string][]byte{"train/b/3.png": []byte("garbage"), "train/a/4.jpg": []byte("junk")}))
	_, errs := mustRunApp(t, featlearn(), 0, "train", "-data", data, "-skip-bad", "-out", t.TempDir(), "-epochs", "1", "-val", "0", "-progress", "lines")
	if !strings.Contains(errs, "skipped 2 unreadable images") {
		t.Errorf("skip-bad:\n%s", errs)
	}
}

// TestResumeWithAugmentationThroughTheCLI stops a run that distorts its
// images mid-epoch and resumes it: the weights must be those of an
// uninterrupted run. A resumed run cannot change its data or network.
func TestResumeWithAugmentationThroughTheCLI(t *testing.T) {
	base := []string{"train", "-train-n", "512", "-epochs", "2", "-shift", "2", "-rotate", "8", "-scale", "0.1", "-shear", "5", "-progress", "lines"}
	whole, cut := t.TempDir(), t.TempDir()
	mustRunApp(t, featlearn(), 0, append(base, "-out", whole)...)
	mustRunApp(t, featlearn(), 0, append(base, "-out", cut, "-max-steps", "11")...)
	if meta, err := graph.ReadCheckpointMeta(graph.CheckpointPath(cut)); err != nil || meta.Step != 11 {
		t.Fatalf("cut run: %+v, %v", meta, err)
	}
	_, errs := mustRunApp(t, featlearn(), 0, "train", "-resume", "-out", cut, "-progress", "lines")
	if !strings.Contains(errs, "resuming from") || !strings.Contains(errs, "distorted: shift 2") {
		t.Errorf("resume:\n%s", errs)
	}
	sameWeights(t, graph.CheckpointPath(whole), graph.CheckpointPath(cut))
	code, _, errs := runApp(featlearn(), "train", "-resume", "-out", cut, "-shift", "3")
	if code != 2 || !strings.Contains(errs, "-shift: a resumed run keeps the data and network") {
		t.Errorf("resume with -shift: exit %d\n%s", code, errs)
	}
}

func TestFeatlearnUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "any network on MNIST, CIFAR-10 or your own folder"},
		{[]string{"train", "-h"}, 0, "-arch"},
		{[]string{"train", "-size", "0x3"}, 2, "-size"},
		{[]string{"train", "-channels", "cmyk"}, 2, "-channels"},
		{[]string{"train", "-norm", "zscore"}, 2, "-norm"},
		{[]string{"train", "-val", "1.5"}, 2, "-val"},
		{[]string{"train", "-val-split", "middle"}, 2, "-val-split"},
		{[]string{"train", "-rotate", "400"}, 2, "rotation 400 degrees"},
		{[]string{"train", "-max-params", "0"}, 2, "-max-params"},
		{[]string{"summary", "-input", "2x28x28"}, 2, "-input"},
		{[]string{"summary", "-arch", "conv6@5x5-pool2-fc", "-input", "3x32x32", "-classes", "4"}, 0, "conv6@5x5-pool2-fc4"},
		{[]string{"export-data"}, 2, "name the folder"},
		{[]string{"predict"}, 2, "PNG, JPEG or GIF"},
		{[]string{"eval", "-ckpt", "/nonexistent/ckpt"}, 1, "train one first"},
	}
	for _, c := range cases {
		code, out, errs := runApp(featlearn(), c.args...)
		if code != c.code || !strings.Contains(out+errs, c.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s%s", c.args, code, c.code, c.want, out, errs)
		}
	}
}

func TestExportWritesAFolderTrainReads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mnist")
	out, _ := mustRunApp(t, featlearn(), 0, "export-data", "-train-n", "50", "-test-n", "20", "-format", "jpeg", dir)
	if !strings.Contains(out, "wrote 50 training and 20 test images of 10 classes") {
		t.Errorf("export:\n%s", out)
	}
	d, err := datasets.LoadFolder(dir, datasets.FolderOptions{})
	if err != nil || d.Train.N != 50 || d.Test.N != 20 || d.Train.NumChannels() != 1 {
		t.Errorf("read back: %v", err)
	}
}
