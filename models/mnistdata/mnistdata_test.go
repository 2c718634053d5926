package mnistdata

import (
	"testing"

	"github.com/featlearn/featlearn/datasets"
)

func TestGather(t *testing.T) {
	s, err := datasets.NewSet([]uint8{0, 255, 51, 102, 255, 0, 0, 0}, []uint8{3, 7}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	d := Dataset(s)
	if d.Len() != 2 {
		t.Fatalf("Len = %d", d.Len())
	}
	x, y := make([]float32, 8), make([]float32, 2)
	if err := d.Gather([]int{1, 0}, x, y); err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 0, 0, 0, 0, 1, 0.2, 0.4}
	for i := range want {
		if d := x[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("x[%d] = %v, want %v", i, x[i], want[i])
		}
	}
	if y[0] != 7 || y[1] != 3 {
		t.Errorf("y = %v, want [7 3]", y)
	}
	if err := d.Gather([]int{2}, x, y); err == nil {
		t.Error("index out of range: no error")
	}
	if err := d.Gather([]int{0, 1}, x[:5], y); err == nil {
		t.Error("short buffer: no error")
	}
	if err := Dataset(nil).Gather([]int{0}, x, y); err == nil || Dataset(nil).Len() != 0 {
		t.Error("nil set: want Len 0 and an error")
	}
}

func TestBinary(t *testing.T) {
	s, err := datasets.NewSet([]uint8{0, 127, 128, 255}, []uint8{4}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	x, y := make([]float32, 4), make([]float32, 1)
	if err := Binary(s, 128).Gather([]int{0}, x, y); err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 0, 1, 1}
	for i := range want {
		if x[i] != want[i] {
			t.Errorf("x = %v, want %v", x, want)
			break
		}
	}
	if y[0] != 4 {
		t.Errorf("y = %v, want [4]", y)
	}
}

// TestGatherLargeBatch gathers a batch big enough to be split over the
// cores, binary and not, and checks every example against Float32s.
func TestGatherLargeBatch(t *testing.T) {
	const n, size = 40, 6
	pixels, labels := make([]uint8, n*size), make([]uint8, n)
	for i := range pixels {
		pixels[i] = uint8(i * 37)
	}
	for i := range labels {
		labels[i] = uint8(i % 10)
	}
	s, err := datasets.NewSet(pixels, labels, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, 33)
	for k := range idx {
		idx[k] = (k * 7) % n
	}
	for _, binary := range []bool{false, true} {
		d := Dataset(s)
		if binary {
			d = Binary(s, 128)
		}
		x, y := make([]float32, len(idx)*size), make([]float32, len(idx))
		if err := d.Gather(idx, x, y); err != nil {
			t.Fatal(err)
		}
		for k, i := range idx {
			want := s.Float32s(i, nil)
			for p, v := range s.Pixels(i) {
				if binary {
					want[p] = 0
					if v >= 128 {
						want[p] = 1
					}
				}
				if x[k*size+p] != want[p] {
					t.Fatalf("binary %v: example %d pixel %d = %v, want %v", binary, k, p, x[k*size+p], want[p])
				}
			}
			if y[k] != float32(labels[i]) {
				t.Fatalf("binary %v: label %d = %v, want %d", binary, k, y[k], labels[i])
			}
		}
	}
}
