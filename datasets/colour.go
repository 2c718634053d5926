package datasets

import (
	"image"
	"math"

	"github.com/pkg/errors"
)

// ChannelStats returns the mean and the standard deviation of each
// channel's pixels over the whole Set, scaled to [0, 1]: the numbers a
// model's inputs are normalised by. For a grayscale Set it gives
// PixelStats as one-element slices.
func (s *Set) ChannelStats() (mean, std []float64) {
	c := s.NumChannels()
	hist := make([][256]int, c)
	plane, size := s.Rows*s.Cols, s.Size()
	for i := 0; i < s.N; i++ {
		img := s.Images[i*size : (i+1)*size]
		for ch := range c {
			h := &hist[ch]
			for _, p := range img[ch*plane : (ch+1)*plane] {
				h[p]++
			}
		}
	}
	mean, std = make([]float64, c), make([]float64, c)
	n := float64(s.N * plane)
	if n == 0 {
		return mean, std
	}
	for ch, h := range hist {
		for v, k := range h {
			mean[ch] += float64(k) * float64(v) / 255
		}
		mean[ch] /= n
		for v, k := range h {
			d := float64(v)/255 - mean[ch]
			std[ch] += float64(k) * d * d
		}
		std[ch] = math.Sqrt(std[ch] / n)
	}
	return mean, std
}

// Image returns example i as an image: a grayscale one sharing the Set's
// memory for one channel (as Digit does), an RGBA copy for three. Like
// Pixels it panics when i is out of range.
func (s *Set) Image(i int) image.Image {
	if s.NumChannels() == 1 {
		return s.Digit(i)
	}
	img, _ := PlanarImage(s.Pixels(i), s.NumChannels(), s.Rows, s.Cols)
	return img
}

// PlanarImage draws channels planes of rows x cols bytes (1: gray, 3:
// red, green and blue) as an opaque RGBA image.
func PlanarImage(pixels []uint8, channels, rows, cols int) (*image.RGBA, error) {
	if (channels != 1 && channels != 3) || rows <= 0 || cols <= 0 || len(pixels) != channels*rows*cols {
		return nil, errors.Errorf("%d bytes for a %dx%dx%d image", len(pixels), channels, rows, cols)
	}
	img := image.NewRGBA(image.Rect(0, 0, cols, rows))
	plane := rows * cols
	for k := range plane {
		o := 4 * k
		if channels == 1 {
			v := pixels[k]
			img.Pix[o], img.Pix[o+1], img.Pix[o+2] = v, v, v
		} else {
			img.Pix[o], img.Pix[o+1], img.Pix[o+2] = pixels[k], pixels[plane+k], pixels[2*plane+k]
		}
		img.Pix[o+3] = 0xff
	}
	return img, nil
}
