package graph

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pkg/errors"

	"github.com/featlearn/featlearn/internal/atomicfile"
)

// EpochInfo is one line of a training history: a finished epoch, or the
// part of one that ran before training stopped.
type EpochInfo struct {
	Epoch int `json:"epoch"`
	// Steps counts the optimizer steps taken since the start of training,
	// this epoch's included.
	Steps int `json:"steps"`
	// LR is the learning rate of the epoch's last step.
	LR float64 `json:"lr"`
	// TrainLoss and TrainAccuracy are means over the epoch's batches, each
	// measured before that batch's update.
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	// ValLoss and ValAccuracy are measured on the validation data after
	// the epoch, in evaluation mode; ValN is its size, 0 without any.
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	ValN        int     `json:"val_n"`
	// Seconds is the wall time of the epoch's training and validation.
	Seconds float64 `json:"seconds"`
	// Partial marks an epoch cut short by a step budget or a stop request.
	Partial bool `json:"partial,omitempty"`
}

// Monitor names the metric of an epoch that early stopping and
// reduce-on-plateau watch.
type Monitor string

// The metrics a Monitor can name.
const (
	ValLoss       Monitor = "val_loss"
	ValAccuracy   Monitor = "val_accuracy"
	TrainLoss     Monitor = "train_loss"
	TrainAccuracy Monitor = "train_accuracy"
)

// Metric returns the value of the metric m in e.
func (e EpochInfo) Metric(m Monitor) (float64, error) {
	switch m {
	case ValLoss, ValAccuracy:
		if e.ValN == 0 {
			return 0, errors.Errorf("monitor %s: epoch %d has no validation data", m, e.Epoch)
		}
		if m == ValLoss {
			return e.ValLoss, nil
		}
		return e.ValAccuracy, nil
	case TrainLoss:
		return e.TrainLoss, nil
	case TrainAccuracy:
		return e.TrainAccuracy, nil
	}
	return 0, errors.Errorf("monitor %q: want val_loss, val_accuracy, train_loss or train_accuracy", string(m))
}

// Maximize says whether larger values of the metric are better.
func (m Monitor) Maximize() bool { return m == ValAccuracy || m == TrainAccuracy }

// WriteHistory writes a history into dir as HistoryJSON and HistoryCSV,
// each atomically, so a reader never sees half a file.
func WriteHistory(dir string, h []EpochInfo) error {
	js, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return errors.Wrap(err, "encoding history")
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, HistoryJSON), append(js, '\n')); err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, HistoryCSV), historyCSV(h))
}

// historyCSV renders the history with a header line, one row per epoch.
func historyCSV(h []EpochInfo) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"epoch", "steps", "lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_n", "seconds", "partial"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, e := range h {
		_ = w.Write([]string{strconv.Itoa(e.Epoch), strconv.Itoa(e.Steps), f(e.LR), f(e.TrainLoss), f(e.TrainAccuracy),
			f(e.ValLoss), f(e.ValAccuracy), strconv.Itoa(e.ValN), strconv.FormatFloat(e.Seconds, 'f', 2, 64), strconv.FormatBool(e.Partial)})
	}
	w.Flush()
	return buf.Bytes()
}

// maxHistoryBytes bounds a history file: a quarter of a million epochs.
const maxHistoryBytes = 64 << 20

// ReadHistory reads the JSON history WriteHistory wrote into dir. It reads
// only a regular file of at most 64 MiB, and refuses a history whose
// epochs are out of order, whose steps fall, or whose numbers are not
// finite or out of range; errors name the file.
func ReadHistory(dir string) ([]EpochInfo, error) {
	path := filepath.Join(dir, HistoryJSON)
	b, err := readRegularFile(path, maxHistoryBytes)
	if err != nil {
		return nil, err
	}
	h, err := decodeHistory(b)
	if err != nil {
		return nil, errors.Wrapf(err, "reading %s", path)
	}
	return h, nil
}

// decodeHistory reads and checks a history's JSON.
func decodeHistory(b []byte) ([]EpochInfo, error) {
	var h []EpochInfo
	if err := decodeStrict(b, &h); err != nil {
		return nil, err
	}
	if err := checkEpochs(h); err != nil {
		return nil, err
	}
	return h, nil
}

// readRegularFile reads the file at path whole, refusing anything but a
// regular file of at most limit bytes; errors name the path.
func readRegularFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.WithStack(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, errors.WithStack(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > limit {
		return nil, errors.Errorf("%s: %d bytes, more than the %d-byte limit", path, fi.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, errors.Wrapf(err, "reading %s", path)
	}
	if int64(len(b)) > limit {
		return nil, errors.Errorf("%s: more than the %d-byte limit", path, limit)
	}
	return b, nil
}
