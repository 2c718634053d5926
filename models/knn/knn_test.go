package knn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/featlearn/featlearn/datasets"
)

// randomPoints returns n points of dim values uniform in [0, 1) and labels
// in 0..classes-1, fixed by seed.
func randomPoints(n, dim, classes int, seed uint64) ([]float32, []int) {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*dim)
	for i := range x {
		x[i] = r.Float32()
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = r.IntN(classes)
	}
	return x, labels
}

// bruteNeighbours returns the k nearest indices of query q by float64
// distances, nearest first, equal distances in index order.
func bruteNeighbours(x []float32, dim int, q []float32, k int) ([]int, []float64) {
	n := len(x) / dim
	d := make([]float64, n)
	for i := range n {
		for j, v := range q {
			e := float64(v) - float64(x[i*dim+j])
			d[i] += e * e
		}
	}
	// k rounds of picking the nearest example not yet taken cost k·n, far
	// less than sorting all n for every query.
	taken := make([]bool, n)
	idx, dist := make([]int, k), make([]float64, k)
	for r := range k {
		best := -1
		for i, v := range d {
			if !taken[i] && (best < 0 || v < d[best]) {
				best = i
			}
		}
		taken[best] = true
		idx[r], dist[r] = best, d[best]
	}
	return idx, dist
}

// TestNeighboursMatchBruteForce spans several query and training blocks,
// with partial blocks at both ends, and compares every neighbour list with
// a float64 brute-force search.
func TestNeighboursMatchBruteForce(t *testing.T) {
	const n, m, dim, k = 2*trainBlock + 77, queryBlock + 33, 19, 7
	x, labels := randomPoints(n, dim, 10, 1)
	q, _ := randomPoints(m, dim, 10, 2)
	c, err := New(x, dim, labels)
	if err != nil {
		t.Fatal(err)
	}
	nbs, err := c.Neighbours(q, m, k)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		want, dist := bruteNeighbours(x, dim, q[i*dim:(i+1)*dim], k)
		for j, nb := range nbs[i*k : (i+1)*k] {
			if math.Abs(float64(nb.Dist)-dist[j]) > 1e-4*math.Max(1, dist[j]) {
				t.Fatalf("query %d neighbour %d: distance %v, want %v", i, j, nb.Dist, dist[j])
			}
			// Examples at nearly the same distance may swap places in float32.
			if nb.Index != want[j] && math.Abs(dist[j]-distOf(x, dim, q[i*dim:(i+1)*dim], nb.Index)) > 1e-4 {
				t.Fatalf("query %d neighbour %d: example %d, want %d", i, j, nb.Index, want[j])
			}
			if nb.Label != labels[nb.Index] {
				t.Fatalf("query %d neighbour %d: label %d, want %d", i, j, nb.Label, labels[nb.Index])
			}
		}
	}
}

// distOf returns the float64 distance from q to example i of x.
func distOf(x []float32, dim int, q []float32, i int) float64 {
	var s float64
	for j, v := range q {
		e := float64(v) - float64(x[i*dim+j])
		s += e * e
	}
	return s
}

func TestInsertKeepsOrderAndTies(t *testing.T) {
	list := make([]Neighbour, 3)
	n := 0
	for i, d := range []float32{5, 2, 2, 9, 1, 2} {
		n = insert(list, n, Neighbour{Index: i, Dist: d})
	}
	got := []int{list[0].Index, list[1].Index, list[2].Index}
	if n != 3 || !slices.Equal(got, []int{4, 1, 2}) {
		t.Errorf("list %v (n %d), want examples [4 1 2]: ties keep the earlier example", got, n)
	}
}

func TestVote(t *testing.T) {
	nb := func(labels ...int) []Neighbour {
		out := make([]Neighbour, len(labels))
		for i, l := range labels {
			out[i] = Neighbour{Index: i, Label: l, Dist: float32(i)}
		}
		return out
	}
	cases := []struct {
		nbs  []Neighbour
		k    int
		want int
	}{
		{nb(3, 1, 1), 1, 3},       // the nearest neighbour rule
		{nb(3, 1, 1), 3, 1},       // majority
		{nb(3, 1, 1, 3), 4, 3},    // 2-2 tie: class 3 has the nearest voter
		{nb(1, 3, 3, 1), 4, 1},    // 2-2 tie the other way
		{nb(2, 5, 7), 3, 2},       // three-way tie
		{nb(2, 300, 300), 3, 300}, // large labels
		{nb(4), 9, 4},             // k beyond the list
		{nil, 3, -1},
	}
	for _, c := range cases {
		if got := Vote(c.nbs, c.k); got != c.want {
			t.Errorf("Vote(%v, %d) = %d, want %d", c.nbs, c.k, got, c.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	x, labels := randomPoints(10, 3, 2, 1)
	if _, err := New(x[:29], 3, labels); err == nil {
		t.Error("ragged x: no error")
	}
	if _, err := New(x, 3, append(labels[:9:9], -1)); err == nil {
		t.Error("negative label: no error")
	}
	if _, err := New(nil, 3, nil); err == nil {
		t.Error("no examples: no error")
	}
	c, err := New(x, 3, labels)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Neighbours(x[:6], 2, 11); err == nil {
		t.Error("k beyond the training set: no error")
	}
	if _, err := c.Neighbours(x[:5], 2, 1); err == nil {
		t.Error("ragged queries: no error")
	}
	if _, err := c.PredictKs(x[:6], 2, []int{1, 0}); err == nil {
		t.Error("k = 0: no error")
	}
	if _, err := CrossValidate(x, 3, labels, []int{1}, 11, 1); err == nil {
		t.Error("more folds than examples: no error")
	}
	if _, err := CrossValidate(x, 3, labels, nil, 2, 1); err == nil {
		t.Error("no candidate k: no error")
	}
	if _, err := Run(nil, nil, DefaultConfig(), nil); err == nil {
		t.Error("no sets: no error")
	}
	if _, err := FromSet(nil); err == nil {
		t.Error("nil set: no error")
	}
}

// TestCrossValidateBlobs: on two well-separated clouds with a few labels
// flipped, a single neighbour copies the noise and a vote outvotes it.
func TestCrossValidateBlobs(t *testing.T) {
	p, err := datasets.Blobs(200, 0.3, 3)
	if err != nil {
		t.Fatal(err)
	}
	labels := append([]int(nil), p.Labels...)
	for i := 0; i < len(labels); i += 10 {
		labels[i] = 1 - labels[i]
	}
	ks := []int{1, 3, 5, 9, 15}
	r, err := CrossValidate(p.Float32s(), 2, labels, ks, 5, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.FoldErrors) != 5 || len(r.FoldErrors[0]) != len(ks) || r.N != 400 {
		t.Fatalf("result shape: %d folds of %d errors over %d examples", len(r.FoldErrors), len(r.FoldErrors[0]), r.N)
	}
	if r.Best == 1 || r.Mean[0] < 0.15 || r.Mean[len(ks)-1] > 0.13 {
		t.Errorf("CV errors %v chose k = %d: want k > 1 with 10%% of labels flipped", r.Mean, r.Best)
	}
	again, _ := CrossValidate(p.Float32s(), 2, labels, ks, 5, 7)
	if !slices.Equal(again.Mean, r.Mean) {
		t.Error("the same seed gave different cross-validation errors")
	}
}
