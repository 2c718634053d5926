package trainapp

import (
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/onnx"
	"github.com/featlearn/featlearn/internal/cli"
)

// exportCommand documents export in the command list.
var exportCommand = command{"export", "[flags]", "write a checkpoint as an ONNX model, for ONNX Runtime and other ONNX tools"}

// export writes a checkpoint's model as an ONNX file, then reads the file
// back and checks that it computes what the checkpoint does.
func (a *App) export(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("export", stderr)
	ckpt := a.ckptFlag(fs)
	out := fs.String("o", "", "ONNX file to write (default: "+a.Name+".onnx next to the checkpoint)")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	l, err := a.load(*ckpt)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = filepath.Join(filepath.Dir(*ckpt), a.Name+".onnx")
	}
	meta, err := onnx.MetaFromCheckpoint(l.Meta)
	if err != nil {
		return errors.Wrap(err, *ckpt)
	}
	if len(meta.Classes) == 0 {
		meta.Classes = onnx.DigitClasses()
	}
	if meta.Input.Scale == 0 {
		meta.Input = onnx.MNISTInput()
	}
	return a.writeONNX(l, meta, path, stdout)
}

// checkExport imports the file at path and returns the largest difference
// of its outputs from m's on 8 random inputs, refusing one above 1e-6.
func checkExport(m *graph.Model, path string) (float64, error) {
	back, _, err := onnx.ImportFile(path)
	if err != nil {
		return 0, err
	}
	const n = 8
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*m.InputShape().Size())
	for i := range x {
		x[i] = rng.Float32()
	}
	want, err := m.Predict(x, n, n)
	if err != nil {
		return 0, err
	}
	got, err := back.Predict(x, n, n)
	if err != nil {
		return 0, err
	}
	d := 0.0
	for i := range want {
		d = max(d, abs(got[i]-want[i]))
	}
	if !(d <= 1e-6) {
		return d, errors.Errorf("the exported model's outputs differ by %g", d)
	}
	return d, nil
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// joinDims writes a shape as "1, 28, 28".
func joinDims(s graph.Shape) string {
	out := ""
	for i, d := range s {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(d)
	}
	return out
}
