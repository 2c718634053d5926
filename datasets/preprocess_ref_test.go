package datasets

import (
	"image"
	"math"

	"github.com/pkg/errors"
)

// This file keeps the first, straightforward implementation of
// PreprocessDigit, which held the whole image as float32 luminance, as the
// reference the streaming one must match bit for bit.

// refPreprocess is PreprocessDigit as it was written first, with the
// same recovery from images that panic in At.
func refPreprocess(img image.Image) (_ []uint8, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("reading the image's pixels: %v", r)
		}
	}()
	b := img.Bounds()
	if b.Empty() {
		return nil, errors.New("empty image (no pixels)")
	}
	g := refGrayscale(img)
	w, h := b.Dx(), b.Dy()
	if err := refToInk(g, w, h); err != nil {
		return nil, err
	}
	box := refInkBox(g, w, h)
	crop := refCropTo(g, w, box)
	sw, sh := fitBox(box.Dx(), box.Dy())
	scaled := refResample(crop, box.Dx(), box.Dy(), sw, sh)
	return centre(scaled, sw, sh), nil
}

func refGrayscale(img image.Image) []float32 {
	b := img.Bounds()
	g := make([]float32, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, gr, bl, a := img.At(x, y).RGBA()
			paper := float32(0xffff - a)
			lum := 0.299*(float32(r)+paper) + 0.587*(float32(gr)+paper) + 0.114*(float32(bl)+paper)
			g = append(g, lum/0xffff)
		}
	}
	return g
}

func refToInk(g []float32, w, h int) error {
	var frame []float32
	for x := 0; x < w; x++ {
		frame = append(frame, g[x], g[(h-1)*w+x])
	}
	for y := 1; y < h-1; y++ {
		frame = append(frame, g[y*w], g[y*w+w-1])
	}
	paper := median(frame)
	if paper > 0.5 {
		for i, v := range g {
			g[i] = 1 - v
		}
		paper = 1 - paper
	}
	peak := float32(math.Inf(-1)) // fixed here too: 0 once made a contrast with luminance above 1
	for _, v := range g {
		peak = max(peak, v)
	}
	if peak-paper < minContrast {
		return errors.Errorf("no digit found: the image is blank (ink contrast %.2f, want at least %.2f)",
			peak-paper, minContrast)
	}
	for i, v := range g {
		g[i] = min(max((v-paper)/(peak-paper), 0), 1)
	}
	return nil
}

func refInkBox(g []float32, w, h int) image.Rectangle {
	box := image.Rectangle{Min: image.Pt(w, h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if g[y*w+x] > inkThreshold {
				box.Min.X, box.Min.Y = min(box.Min.X, x), min(box.Min.Y, y)
				box.Max.X, box.Max.Y = max(box.Max.X, x+1), max(box.Max.Y, y+1)
			}
		}
	}
	return box
}

func refCropTo(g []float32, w int, box image.Rectangle) []float32 {
	out := make([]float32, 0, box.Dx()*box.Dy())
	for y := box.Min.Y; y < box.Max.Y; y++ {
		out = append(out, g[y*w+box.Min.X:y*w+box.Max.X]...)
	}
	return out
}

type refTap struct {
	src    int
	weight float32
}

func refResample(src []float32, w, h, ow, oh int) []float32 {
	cols, rows := refAreaTaps(w, ow), refAreaTaps(h, oh)
	tmp := make([]float32, ow*h)
	for y := 0; y < h; y++ {
		for ox, taps := range cols {
			tmp[y*ow+ox] = refApply(taps, src[y*w:(y+1)*w], 1)
		}
	}
	out := make([]float32, ow*oh)
	for oy, taps := range rows {
		for x := 0; x < ow; x++ {
			out[oy*ow+x] = refApply(taps, tmp[x:], ow)
		}
	}
	return out
}

func refApply(taps []refTap, line []float32, stride int) float32 {
	var sum float32
	for _, t := range taps {
		sum += t.weight * line[t.src*stride]
	}
	return sum
}

func refAreaTaps(n, m int) [][]refTap {
	taps := make([][]refTap, m)
	step := float64(n) / float64(m)
	for o := range taps {
		lo, hi := float64(o)*step, float64(o+1)*step
		for s := int(lo); s < n && float64(s) < hi; s++ {
			overlap := min(hi, float64(s+1)) - max(lo, float64(s))
			if overlap > 0 {
				taps[o] = append(taps[o], refTap{src: s, weight: float32(overlap / step)})
			}
		}
	}
	return taps
}

// resample scales a w x h slice of pixels by resampleFunc.
func resample(src []float32, w, h, ow, oh int) []float32 {
	return resampleFunc(func(x, y int) float32 { return src[y*w+x] }, w, h, ow, oh)
}
