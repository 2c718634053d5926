package trainapp

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/onnx"
	"github.com/featlearn/featlearn/internal/cli"
)

// exportAny writes a featlearn checkpoint's model as an ONNX file with its
// classes and input normalisation, then reads it back and checks it.
func (a *App) exportAny(args []string, stdout, stderr io.Writer) error {
	fs := a.flagSet("export", stderr)
	ckpt := a.ckptFlag(fs)
	out := fs.String("o", "", "ONNX file to write (default: model.onnx next to the checkpoint)")
	if err := cli.Parse(fs, args, 0); err != nil {
		return err
	}
	r, l, err := a.loadAny(*ckpt)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = filepath.Join(filepath.Dir(*ckpt), "model.onnx")
	}
	meta := onnx.Meta{Model: l.Meta.Model, Arch: l.Meta.Config, Classes: r.input.Classes, Input: r.input.normalization()}
	return a.writeONNX(l, meta, path, stdout)
}

// normalization says, as ONNX metadata, how an image becomes the input.
func (in Input) normalization() onnx.Normalization {
	n := onnx.Normalization{Scale: 1.0 / 255, Mean: in.Mean, Std: in.Std}
	if n.Mean == nil {
		n.Mean, n.Std = make([]float64, in.Channels), make([]float64, in.Channels)
		for i := range n.Std {
			n.Std[i] = 1
		}
	}
	return n
}

// writeONNX exports a loaded model to path and checks the file computes
// what the model does.
func (a *App) writeONNX(l *loaded, meta onnx.Meta, path string, stdout io.Writer) error {
	if err := onnx.ExportFile(l.Model, path, meta); err != nil {
		return err
	}
	diff, err := checkExport(l.Model, path)
	if err != nil {
		return errors.Wrapf(err, "reading %s back", path)
	}
	in, outShape := l.Model.InputShape(), l.Model.OutputShape()
	fmt.Fprintf(stdout, "%s\nwrote %s: %s, %s parameters, ONNX opset %d, input %q (N, %s), output %q (N, %s)\n",
		l.describe(), path, a.Title, comma(l.Model.NumParams()), onnx.Opset, onnx.InputName, joinDims(in), onnx.OutputName, joinDims(outShape))
	fmt.Fprintf(stdout, "read back: the same outputs to %.2g on 8 random inputs\n", diff)
	return nil
}

// loadONNX imports an ONNX file as a model and describes its input as a
// featlearn checkpoint would: shape, classes (numbered when the file
// names none), normalisation, and MNIST's digit preparation for 1x28x28
// models of the ten digits. The data to measure it on is MNIST unless
// dir names other data.
func loadONNX(path, dir string) (*run, *loaded, error) {
	m, meta, err := onnx.ImportFile(path)
	if err != nil {
		return nil, nil, err
	}
	shape, classes := m.InputShape(), m.OutputShape()
	if len(shape) != 3 || len(classes) != 1 {
		return nil, nil, errors.Errorf("%s: input %v and output %v: want images (C, H, W) and one logit per class", path, shape, classes)
	}
	in := Input{Channels: shape[0], Rows: shape[1], Cols: shape[2], Classes: meta.Classes}
	if len(in.Classes) == 0 {
		for i := 0; i < classes[0]; i++ {
			in.Classes = append(in.Classes, strconv.Itoa(i))
		}
	}
	if len(in.Classes) != classes[0] {
		return nil, nil, errors.Errorf("%s: %d class names for %d outputs", path, len(in.Classes), classes[0])
	}
	if n := meta.Input; n.Scale != 0 && !plain(n) {
		in.Mean, in.Std = n.Mean, n.Std
	}
	in.Digit = in.Channels == 1 && in.Rows == datasets.DigitSize && in.Cols == datasets.DigitSize &&
		slices.Equal(in.Classes, datasets.DigitNames()) && in.Mean == nil
	if err := in.check(); err != nil {
		return nil, nil, errors.Wrap(err, path)
	}
	src := Source{Val: 0, ValSplit: valLast}
	if dir != "" {
		if src.Dir, err = filepath.Abs(dir); err != nil {
			return nil, nil, errors.WithStack(err)
		}
	}
	cm := graph.CheckpointMeta{Model: meta.Model, Config: meta.Arch}
	return &run{meta: cm, spec: meta.Arch, input: in, src: src, path: path}, &loaded{Model: m, Meta: cm, Path: path}, nil
}

// plain says a normalisation is pixel/255 with no mean or deviation.
func plain(n onnx.Normalization) bool {
	for i := range n.Mean {
		if n.Mean[i] != 0 || i >= len(n.Std) || n.Std[i] != 1 {
			return false
		}
	}
	return true
}
