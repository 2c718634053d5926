package viz

import (
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSamples writes one picture of every kind to $VIZ_SAMPLES, for a person
// to look at: go test ./viz -run Samples with VIZ_SAMPLES=/tmp/viz. Without
// the variable it only checks that every sample draws.
func TestSamples(t *testing.T) {
	dir := os.Getenv("VIZ_SAMPLES")
	for name, draw := range samples() {
		img, err := draw()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if dir == "" {
			continue
		}
		if err := WritePNG(filepath.Join(dir, name+".png"), img); err != nil {
			t.Fatal(err)
		}
	}
}

// samples are lecture-like pictures drawn from synthetic, seeded data.
func samples() map[string]func() (image.Image, error) {
	return map[string]func() (image.Image, error){
		"hinton":      func() (image.Image, error) { return Hinton(template(3), 28, 28, 8, 0) },
		"heatmap":     func() (image.Image, error) { return Heatmap(template(3), 28, 28, 8, 0) },
		"weightmaps":  func() (image.Image, error) { return tenMaps(true) },
		"weightheat":  func() (image.Image, error) { return tenMaps(false) },
		"filters1":    func() (image.Image, error) { return FilterGrid(noise(6*25, 1), 6, 5, 5, 10, 6) },
		"filters2":    func() (image.Image, error) { return Filters(noise(16*6*25, 2), 16, 6, 5, 5, 6) },
		"activations": func() (image.Image, error) { return Activations(noise(6*28*28, 3), 6, 28, 28, 3, 6) },
		"curves":      sampleCurves,
		"accuracy":    sampleAccuracy,
		"confusion":   func() (image.Image, error) { return ConfusionMatrix(sampleConfusion(), nil, 40) },
		"regions":     sampleRegions,
		"grid":        sampleGrid,
	}
}

// template is a digit-like weight map: a positive ring round a negative
// centre, tilted by k, plus a little noise.
func template(k int) []float64 {
	r := rand.New(rand.NewPCG(uint64(k), 1))
	w := make([]float64, 28*28)
	for i := range w {
		x, y := float64(i%28)-13.5, float64(i/28)-13.5
		x += 0.2 * float64(k-5) * y / 5
		d := math.Hypot(x/0.7, y)
		w[i] = math.Exp(-(d-8)*(d-8)/8) - 0.8*math.Exp(-d*d/12) + 0.1*r.NormFloat64()
	}
	return w
}

// noise is n seeded normal values.
func noise(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 2))
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}

func tenMaps(hinton bool) (image.Image, error) {
	maps := make([][]float64, 10)
	labels := make([]string, 10)
	for i := range maps {
		maps[i] = template(i)
		labels[i] = strconv.Itoa(i)
	}
	return WeightMaps(maps, 28, 28, 5, 4, hinton, labels)
}

func sampleCurves() (image.Image, error) {
	var train, test Series
	train.Name, test.Name = "train loss", "test loss"
	for e := 1; e <= 20; e++ {
		x := float64(e)
		train.X, train.Y = append(train.X, x), append(train.Y, 2.3*math.Exp(-x/3)+0.05)
		test.X, test.Y = append(test.X, x), append(test.Y, 2.2*math.Exp(-x/3.5)+0.09+0.002*x)
	}
	return Curves("LeNet-5 on MNIST", "epoch", "cross-entropy", 640, 400, train, test)
}

func sampleAccuracy() (image.Image, error) {
	var acc Series
	acc.Name = "test accuracy"
	for e := 1; e <= 5; e++ {
		acc.X = append(acc.X, float64(e))
		acc.Y = append(acc.Y, 1-0.1*math.Exp(-float64(e)))
	}
	return Curves("kNN vs epochs", "epoch", "accuracy", 400, 300, acc)
}

func sampleConfusion() [][]int {
	totals := []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
	r := rand.New(rand.NewPCG(7, 7))
	c := make([][]int, 10)
	for t := range c {
		c[t] = make([]int, 10)
		c[t][t] = totals[t]
		for k := 0; k < 3; k++ {
			p, n := r.IntN(10), r.IntN(12)
			if p != t {
				c[t][p] += n
				c[t][t] -= n
			}
		}
	}
	return c
}

func sampleRegions() (image.Image, error) {
	centres := [][2]float64{{-2, -1}, {2, -1}, {0, 2}}
	r := rand.New(rand.NewPCG(5, 5))
	var xs, ys []float64
	var labels []int
	for k, c := range centres {
		for i := 0; i < 30; i++ {
			xs = append(xs, c[0]+r.NormFloat64())
			ys = append(ys, c[1]+r.NormFloat64())
			labels = append(labels, k)
		}
	}
	nearest := func(x, y float64) int {
		best, bd := 0, math.Inf(1)
		for k, c := range centres {
			if d := math.Hypot(x-c[0], y-c[1]); d < bd {
				best, bd = k, d
			}
		}
		return best
	}
	return DecisionRegions(nearest, xs, ys, labels, 400, [4]float64{})
}

func sampleGrid() (image.Image, error) {
	var imgs []image.Image
	var labels []string
	for i := 0; i < 8; i++ {
		w := template(i)
		for j := range w {
			w[j] = math.Max(0, w[j])
		}
		g, err := Gray(w, 28, 28, 2)
		if err != nil {
			return nil, err
		}
		imgs, labels = append(imgs, g), append(labels, "digit "+strconv.Itoa(i))
	}
	return Grid(imgs, 4, 6, labels)
}
