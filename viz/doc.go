// Package viz draws the pictures of the feature-learning lecture: Hinton
// diagrams and heat maps of weights, grids of learned filters and feature
// maps, training curves, confusion matrices and decision regions in a 2-D
// feature space.
//
// The package knows no learning engine: every function takes plain
// []float64 slices (row-major, PyTorch layout for convolution filters) and
// returns an image.Image, so that binaries, documentation generators and
// Jupyter notebooks (gophernotes renders an image.Image inline) share the
// same pictures. For the same reason nothing here is generic: gophernotes
// cannot call generic functions.
//
// Bad sizes and non-finite values are reported as errors; no public function
// panics. Pictures are capped at MaxSide pixels a side so that a wrong cell
// size fails fast instead of allocating gigabytes.
//
// Text is drawn with the 7x13 bitmap face of golang.org/x/image/font/basicfont,
// which covers printable ASCII; other runes are drawn as boxes or skipped.
package viz
