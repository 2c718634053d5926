//go:build ignore

// Shapes writes the small colour data set docs/your-data.md trains on: a
// folder per class of 32x32 PNG pictures of red and blue circles and
// squares of any size and place, on a background shading between two
// random tints. Run
//
//	go run docs/yourdata/shapes.go /tmp/shapes
//
// It writes 600 pictures per class, the same ones every time (seed 1),
// in one folder per class, for featlearn to split into training and test
// images itself. -seed 2 -n 1 draws one new picture of each class, to
// predict.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

const side = 32

func main() {
	seed := flag.Uint64("seed", 1, "seed of the pictures")
	perClass := flag.Int("n", 600, "pictures per class")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: go run docs/yourdata/shapes.go [-seed 1] [-n 600] FOLDER")
		os.Exit(2)
	}
	rng := rand.New(rand.NewPCG(*seed, 2))
	for _, class := range []string{"red-circle", "red-square", "blue-circle", "blue-square"} {
		dir := filepath.Join(flag.Arg(0), class)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fail(err)
		}
		for i := range *perClass {
			img := picture(rng, class)
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%03d.png", class, i)))
			if err != nil {
				fail(err)
			}
			if err := png.Encode(f, img); err != nil {
				fail(err)
			}
			if err := f.Close(); err != nil {
				fail(err)
			}
		}
	}
}

// picture draws one shape of the class.
func picture(rng *rand.Rand, class string) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	// The background shades from one random tint to another, left to
	// right, with a little noise.
	var from, to [3]int
	for c := range 3 {
		from[c], to[c] = rng.IntN(130), rng.IntN(130)
	}
	for y := range side {
		for x := range side {
			var px [3]uint8
			for c := range 3 {
				px[c] = noisy(rng, from[c]+(to[c]-from[c])*x/(side-1))
			}
			img.Set(x, y, color.RGBA{px[0], px[1], px[2], 255})
		}
	}
	r := 5 + rng.IntN(6)
	cx, cy := r+rng.IntN(side-2*r), r+rng.IntN(side-2*r)
	bright := 150 + rng.IntN(100)
	ink := color.RGBA{uint8(bright), uint8(rng.IntN(60)), uint8(rng.IntN(60)), 255}
	if strings.HasPrefix(class, "blue") {
		ink.R, ink.B = ink.B, ink.R
	}
	square := strings.HasSuffix(class, "square")
	for y := cy - r; y <= cy+r; y++ {
		for x := cx - r; x <= cx+r; x++ {
			if square || (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
				img.Set(x, y, ink)
			}
		}
	}
	return img
}

// noisy returns a background level near v.
func noisy(rng *rand.Rand, v int) uint8 { return uint8(max(0, min(255, v+rng.IntN(21)-10))) }

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
