package kernels

// guess returns the first index of the highest score of a row. A NaN
// never wins, so a row of NaNs guesses class 0.
func guess[T float](row []T) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// PerceptronForward returns the mean of s[guess] - s[truth] over the rows
// of s, C wide.
func PerceptronForward[T float](s, labels []T, c int) float64 {
	n := len(s) / c
	var total float64
	for r := range n {
		row := s[r*c : (r+1)*c]
		total += float64(row[guess(row)]) - float64(row[int(labels[r])])
	}
	return total / float64(n)
}

// PerceptronBackward writes scale·(e_guess - e_truth) for every row of s.
func PerceptronBackward[T float](ds, s, labels []T, c int, scale T) {
	clear(ds[:len(s)])
	for r := range len(s) / c {
		row := s[r*c : (r+1)*c]
		ds[r*c+guess(row)] += scale
		ds[r*c+int(labels[r])] -= scale
	}
}
