package viz

import (
	"image/color"
	"math"
)

// Colours shared by the pictures. Hinton diagrams use the lecture's
// convention: white blobs for positive weights, black for negative, on grey.
var (
	hintonBG  = color.RGBA{128, 128, 128, 255}
	hintonPos = color.RGBA{255, 255, 255, 255}
	hintonNeg = color.RGBA{0, 0, 0, 255}

	// The ends of ColorBrewer's RdBu scale: saturated enough to read as red
	// and blue, dark enough that white text stays legible on them.
	heatPos = color.RGBA{178, 24, 43, 255}
	heatNeg = color.RGBA{33, 102, 172, 255}

	white     = color.RGBA{255, 255, 255, 255}
	black     = color.RGBA{0, 0, 0, 255}
	textGrey  = color.RGBA{60, 60, 60, 255}
	tileFrame = color.RGBA{96, 112, 140, 255}
)

// classColors is the Tableau 10 palette: ten hues that stay distinguishable
// for most colour-blind readers, enough for the ten MNIST digits.
var classColors = []color.RGBA{
	{31, 119, 180, 255},
	{255, 127, 14, 255},
	{44, 160, 44, 255},
	{214, 39, 40, 255},
	{148, 103, 189, 255},
	{140, 86, 75, 255},
	{227, 119, 194, 255},
	{127, 127, 127, 255},
	{188, 189, 34, 255},
	{23, 190, 207, 255},
}

// ClassColor returns the strong colour used for class k in DecisionRegions
// and Curves; classes beyond ten (and negative ones) wrap around.
func ClassColor(k int) color.RGBA {
	n := len(classColors)
	return classColors[((k%n)+n)%n]
}

// pastel mixes c with white so that decision regions stay a quiet backdrop
// for the strongly coloured points.
func pastel(c color.RGBA) color.RGBA {
	return lerp(white, c, 0.3)
}

// lerp blends from a (t=0) to b (t=1) in sRGB; perceptual accuracy does not
// matter for these pictures, exact ends do.
func lerp(a, b color.RGBA, t float64) color.RGBA {
	mix := func(x, y uint8) uint8 {
		return uint8(math.Round(float64(x) + t*(float64(y)-float64(x))))
	}
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}

// diverging maps v/scale, clamped to [-1, 1], to blue (negative), white
// (zero) and red (positive). A zero scale draws everything white.
func diverging(v, scale float64) color.RGBA {
	if scale <= 0 {
		return white
	}
	t := math.Max(-1, math.Min(1, v/scale))
	if t >= 0 {
		return lerp(white, heatPos, t)
	}
	return lerp(white, heatNeg, -t)
}

// grey8 maps t in [0, 1] (clamped) to a grey level.
func grey8(t float64) color.Gray {
	t = math.Max(0, math.Min(1, t))
	return color.Gray{uint8(math.Round(255 * t))}
}
