package xor_test

import (
	"fmt"

	"github.com/featlearn/featlearn/models/xor"
)

// The slides' hand-wired network: x1 AND x2 and (NOT x1) AND (NOT x2) in the
// hidden layer, OR on top, gives x1 XNOR x2.
func ExampleXNOR() {
	m, err := xor.XNOR()
	if err != nil {
		panic(err)
	}
	inputs, outputs, err := xor.TruthTable(m)
	if err != nil {
		panic(err)
	}
	for i, in := range inputs {
		fmt.Printf("%v XNOR %v = %.5f\n", in[0], in[1], outputs[i])
	}
	// Output:
	// 0 XNOR 0 = 0.99995
	// 0 XNOR 1 = 0.00005
	// 1 XNOR 0 = 0.00005
	// 1 XNOR 1 = 0.99995
}
