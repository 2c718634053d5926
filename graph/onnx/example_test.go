package onnx_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/graph/onnx"
	"github.com/featlearn/featlearn/models/lenet"
)

// A model written as ONNX and read back: the same layers, parameters and
// outputs, trainable again.
func Example() {
	m, err := lenet.New(1)
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), "featlearn-example-lenet.onnx")
	defer os.Remove(path)
	meta := onnx.Meta{Model: "lenet", Classes: onnx.DigitClasses(), Input: onnx.MNISTInput()}
	if err := onnx.ExportFile(m, path, meta); err != nil {
		log.Fatal(err)
	}
	back, got, err := onnx.ImportFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Model, got.Classes, got.Input.Scale*255)
	fmt.Println(back.InputShape(), back.OutputShape(), back.NumParams(), back.Params()[0].Name)
	summary, _ := graph.FormatSummary(back)
	fmt.Print(summary)
	// Output:
	// lenet [0 1 2 3 4 5 6 7 8 9] 1
	// [1 28 28] [10] 61706 conv1.weight
	// #   layer      kind                       output             params
	//     input                                 1x28x28
	// 0   conv1      Conv 6@5x5 s=1x1 p=2x2     6x28x28               156
	// 1   maxpool    MaxPool k=2x2,s=2x2,p=0x0  6x14x14                 0
	// 2   relu       Relu                       6x14x14                 0
	// 3   conv2      Conv 16@5x5 s=1x1 p=0x0    16x10x10             2416
	// 4   maxpool_2  MaxPool k=2x2,s=2x2,p=0x0  16x5x5                  0
	// 5   relu_2     Relu                       16x5x5                  0
	// 6   flatten    Flatten to [400]           400                     0
	// 7   fc1        Gemm 120                   120                 48120
	// 8   relu_3     Relu                       120                     0
	// 9   fc2        Gemm 84                    84                  10164
	// 10  relu_4     Relu                       84                      0
	// 11  fc3        Gemm 10                    10                    850
	// total parameters: 61706
}
