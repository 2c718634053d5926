package datasets

import (
	"math"
	"slices"
	"testing"
)

func TestXOR(t *testing.T) {
	p := XOR()
	for i := range p.N {
		x := p.Point(i)
		if want := int(x[0]) ^ int(x[1]); p.Labels[i] != want {
			t.Errorf("point %v labelled %d, want %d", x, p.Labels[i], want)
		}
	}
	if !slices.Equal(p.LabelsFloat64(), []float64{0, 1, 1, 0}) || !slices.Equal(p.LabelsFloat32(), []float32{0, 1, 1, 0}) {
		t.Error("float labels differ")
	}
	if !slices.Equal(p.Float32s(), []float32{0, 0, 0, 1, 1, 0, 1, 1}) {
		t.Error("float32 points differ")
	}
}

// classStats returns each class's count, mean point and mean radius.
func classStats(p *Points) (n [2]int, mx, my, r [2]float64) {
	for i := range p.N {
		c, x := p.Labels[i], p.Point(i)
		n[c]++
		mx[c] += x[0]
		my[c] += x[1]
		r[c] += math.Hypot(x[0], x[1])
	}
	for c := range 2 {
		mx[c] /= float64(n[c])
		my[c] /= float64(n[c])
		r[c] /= float64(n[c])
	}
	return n, mx, my, r
}

func TestClouds(t *testing.T) {
	blobs, err := Blobs(500, 0.3, 1)
	if err != nil {
		t.Fatal(err)
	}
	n, mx, my, _ := classStats(blobs)
	if n != [2]int{500, 500} || math.Abs(mx[0]+1) > 0.1 || math.Abs(my[1]-1) > 0.1 {
		t.Errorf("blobs: counts %v, centres (%.2f, %.2f) and (%.2f, %.2f)", n, mx[0], my[0], mx[1], my[1])
	}
	rings, _ := Rings(500, 0.05, 1)
	if _, _, _, r := classStats(rings); math.Abs(r[0]-0.5) > 0.05 || math.Abs(r[1]-1.5) > 0.05 {
		t.Errorf("ring radii %.2f and %.2f, want 0.5 and 1.5", r[0], r[1])
	}
	moons, _ := Moons(500, 0, 1)
	if _, _, my, _ := classStats(moons); my[0] < 0.5 || my[1] > 0 {
		t.Errorf("moon heights %.2f and %.2f: the upper moon should be class 0", my[0], my[1])
	}
	again, _ := Blobs(500, 0.3, 1)
	other, _ := Blobs(500, 0.3, 2)
	if !slices.Equal(blobs.X, again.X) || slices.Equal(blobs.X, other.X) {
		t.Error("clouds do not follow their seed")
	}
	for _, bad := range []func() (*Points, error){
		func() (*Points, error) { return Blobs(0, 0.1, 1) },
		func() (*Points, error) { return Moons(5, -1, 1) },
		func() (*Points, error) { return Rings(5, math.NaN(), 1) },
	} {
		if _, err := bad(); err == nil {
			t.Error("bad cloud parameters gave no error")
		}
	}
}

func TestPointsSubset(t *testing.T) {
	p := XOR()
	sub, err := p.Subset([]int{3, 0})
	if err != nil || !slices.Equal(sub.X, []float64{1, 1, 0, 0}) || !slices.Equal(sub.Labels, []int{0, 0}) {
		t.Errorf("Subset: %+v %v", sub, err)
	}
	if _, err := p.Subset([]int{4}); err == nil {
		t.Error("out of range Subset gave no error")
	}
}
