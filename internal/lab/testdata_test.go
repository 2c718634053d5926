package lab

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/featlearn/featlearn/datasets"
	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/models/lenet"
)

// testdataCkpt is a LeNet-5 trained for two epochs with the default recipe
// (98.2 % validation accuracy): the browser tests draw digits for it.
// FEATLEARN_LAB_REGEN=1 go test -run TestRegenerateCheckpoint ./internal/lab
// writes it again.
var testdataCkpt = filepath.Join("testdata", "lenet-2epochs.safetensors")

func TestRegenerateCheckpoint(t *testing.T) {
	if os.Getenv("FEATLEARN_LAB_REGEN") == "" {
		t.Skip("set FEATLEARN_LAB_REGEN=1 to train and write " + testdataCkpt)
	}
	m, err := datasets.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	train, val, err := m.TrainVal()
	if err != nil {
		t.Fatal(err)
	}
	r := lenet.DefaultRecipe()
	r.Epochs = 2
	model, res, err := lenet.Train(r, train, val, graph.FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("validation accuracy %.4f", res.Last().ValAccuracy)
	meta := graph.CheckpointMeta{Model: lenet.Name, Config: lenet.Arch, Epoch: 2, Step: res.Steps, Seed: r.Seed}
	if err := graph.SaveCheckpoint(testdataCkpt, model, nil, meta); err != nil {
		t.Fatal(err)
	}
}
