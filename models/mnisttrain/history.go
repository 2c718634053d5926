package mnisttrain

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pkg/errors"
)

// Epoch is one line of a training history.
type Epoch struct {
	Epoch int `json:"epoch"`
	// Steps counts the optimizer steps taken since the start, this epoch's
	// included.
	Steps int     `json:"steps"`
	LR    float64 `json:"lr"`
	// TrainLoss and TrainAccuracy are running means over the epoch's
	// batches, each measured before that batch's update.
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	// ValLoss and ValAccuracy are measured on the validation set after the
	// epoch; ValN is its size, 0 when there was none.
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	ValN        int     `json:"val_n"`
	// Seconds is the wall time of the epoch's training and validation.
	Seconds float64 `json:"seconds"`
	// Partial marks an epoch cut short by a step budget or an interrupt.
	Partial bool `json:"partial,omitempty"`
}

// History files written next to the checkpoint.
const (
	HistoryJSON = "history.json"
	HistoryCSV  = "history.csv"
)

// WriteHistory writes the history as JSON and as CSV into dir, each
// atomically (a temporary file renamed into place), so a reader never
// sees half a file.
func WriteHistory(dir string, h []Epoch) error {
	js, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return errors.Wrap(err, "encoding history")
	}
	if err := writeAtomic(filepath.Join(dir, HistoryJSON), append(js, '\n')); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, HistoryCSV), historyCSV(h))
}

// historyCSV renders the history with a header line, one row per epoch.
func historyCSV(h []Epoch) []byte {
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

// ReadHistory reads the JSON history WriteHistory wrote into dir.
func ReadHistory(dir string) ([]Epoch, error) {
	b, err := os.ReadFile(filepath.Join(dir, HistoryJSON))
	if err != nil {
		return nil, errors.WithStack(err)
	}
	var h []Epoch
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, errors.Wrapf(err, "reading %s", filepath.Join(dir, HistoryJSON))
	}
	return h, nil
}

// writeAtomic writes data to a temporary file in path's directory and
// renames it over path.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return errors.WithStack(err)
	}
	tmp := f.Name()
	_ = f.Chmod(0o644) // CreateTemp makes 0600; history files are for everyone to read
	if _, err = f.Write(data); err == nil {
		err = f.Close()
	} else {
		f.Close()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return errors.Wrapf(err, "writing %s", path)
	}
	return nil
}
