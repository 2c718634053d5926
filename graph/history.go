package graph

import "github.com/pkg/errors"

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
