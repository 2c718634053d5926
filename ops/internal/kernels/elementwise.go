package kernels

// The elementwise kernels below run float32 slices through the AVX2 loops
// of kernels_amd64.s where the CPU has them and through plain Go loops
// otherwise (float64, other CPUs, the tails). Both give the same bits: each
// element sees one IEEE operation or a select.

// addTo adds src[i] to dst[i] for every i < len(src).
func addTo[T float](dst, src []T) {
	dst = dst[:len(src)]
	i := 0
	if s, ok := any(src).([]float32); ok && avx2() && len(s) >= 8 {
		i = len(s) &^ 7
		addTo32(&any(dst).([]float32)[0], &s[0], i)
	}
	for ; i < len(src); i++ {
		dst[i] += src[i]
	}
}

// reluForward writes max(x, 0) into y, with 0 for NaN.
func reluForward[T float](y, x []T) {
	y = y[:len(x)]
	i := 0
	if s, ok := any(x).([]float32); ok && avx2() && len(s) >= 8 {
		i = len(s) &^ 7
		relu32(&any(y).([]float32)[0], &s[0], i)
	}
	for ; i < len(x); i++ {
		if v := x[i]; v > 0 {
			y[i] = v
		} else {
			y[i] = 0
		}
	}
}

// reluBackward writes dy where y > 0, else 0, into dx.
func reluBackward[T float](dx, y, dy []T) {
	dx, dy = dx[:len(y)], dy[:len(y)]
	i := 0
	if s, ok := any(y).([]float32); ok && avx2() && len(s) >= 8 {
		i = len(s) &^ 7
		reluGrad32(&any(dx).([]float32)[0], &s[0], &any(dy).([]float32)[0], i)
	}
	for ; i < len(y); i++ {
		if y[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// leakyScale writes a[i]·f into out[i], f = 1 where 0 < x[i] and slope
// elsewhere (a NaN x included): LeakyReLU with a = x, its gradient with
// a = dy. The factor is chosen before the one multiplication, so the vector
// loop and the Go loop give the same bits.
func leakyScale[T float](out, x, a []T, slope T) {
	out, a = out[:len(x)], a[:len(x)]
	i := 0
	if s, ok := any(x).([]float32); ok && avx2() && len(s) >= 8 {
		i = len(s) &^ 7
		leakyScale32(&any(out).([]float32)[0], &s[0], &any(a).([]float32)[0], i, float32(slope))
	}
	for ; i < len(x); i++ {
		f := slope
		if 0 < x[i] {
			f = 1
		}
		out[i] = a[i] * f
	}
}

// ScalePixels writes min(len(dst), len(pixels)) pixels scaled to [0, 1]
// into dst, pixel/255 rounded as Go's float32 division rounds it, and
// returns that count (ops.ScalePixels).
func ScalePixels(dst []float32, pixels []uint8) int {
	n := min(len(dst), len(pixels))
	dst, pixels = dst[:n], pixels[:n]
	i := 0
	if avx2() {
		i = n &^ 7
		if i > 0 {
			scalePixels32(&dst[0], &pixels[0], i)
		}
	}
	for ; i < n; i++ {
		dst[i] = float32(pixels[i]) / 255
	}
	return n
}

// sumTo64 returns the sum of row accumulated in float64, in an order that
// depends only on its length.
func sumTo64[T float](row []T) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	if r32, ok := any(row).([]float32); ok && avx2() && len(row) >= 16 {
		i = len(row) &^ 15
		s0 = sum32To64(&r32[0], i)
	}
	for ; i+4 <= len(row); i += 4 {
		s0 += float64(row[i])
		s1 += float64(row[i+1])
		s2 += float64(row[i+2])
		s3 += float64(row[i+3])
	}
	for ; i < len(row); i++ {
		s0 += float64(row[i])
	}
	return (s0 + s1) + (s2 + s3)
}
