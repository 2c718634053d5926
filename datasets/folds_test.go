package datasets

import (
	"slices"
	"testing"
)

func TestKFold(t *testing.T) {
	f, err := KFold(10, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	count := make([]int, 10)
	for f.Next() {
		val, train := f.Val(), f.Train()
		sizes = append(sizes, len(val))
		if len(val)+len(train) != 10 {
			t.Errorf("fold %d: %d + %d examples", f.Fold(), len(val), len(train))
		}
		for _, i := range val {
			count[i]++
			if slices.Contains(train, i) {
				t.Errorf("fold %d trains on validation example %d", f.Fold(), i)
			}
		}
	}
	if !slices.Equal(sizes, []int{4, 3, 3}) || f.K() != 3 {
		t.Errorf("fold sizes %v", sizes)
	}
	for i, c := range count {
		if c != 1 {
			t.Errorf("example %d validated %d times", i, c)
		}
	}
	f.Reset()
	f.Next()
	first := slices.Clone(f.Val())
	g, _ := KFold(10, 3, 5)
	g.Next()
	if !slices.Equal(first, g.Val()) {
		t.Error("same seed, different folds")
	}
	if slices.Equal(first, []int{0, 1, 2, 3}) {
		t.Error("KFold did not shuffle")
	}
}

func TestLeaveOneOut(t *testing.T) {
	f, err := LeaveOneOut(4)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; f.Next(); i++ {
		if !slices.Equal(f.Val(), []int{i}) || len(f.Train()) != 3 || slices.Contains(f.Train(), i) {
			t.Errorf("fold %d: val %v train %v", i, f.Val(), f.Train())
		}
	}
	if f.Fold() != 3 {
		t.Errorf("ended at fold %d", f.Fold())
	}
	// Leave-one-out on XOR: each fold's training points are the other three.
	xor := XOR()
	f.Reset()
	f.Next()
	if train, err := xor.Subset(f.Train()); err != nil || train.N != 3 || train.Labels[0] != 1 {
		t.Errorf("XOR fold: %+v %v", train, err)
	}
}

func TestFoldsErrors(t *testing.T) {
	for _, c := range [][2]int{{5, 1}, {5, 6}, {0, 2}} {
		if _, err := KFold(c[0], c[1], 1); err == nil {
			t.Errorf("KFold(%d, %d) gave no error", c[0], c[1])
		}
	}
	if _, err := LeaveOneOut(1); err == nil {
		t.Error("LeaveOneOut(1) gave no error")
	}
}
