package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/pkg/errors"
)

// Spacing of the confusion matrix picture.
const (
	cmMargin = 10 // outer margin
	cmGap    = 6  // between a heading, its labels and the matrix
)

var (
	cmLine = color.RGBA{210, 210, 215, 255} // lines between cells
	cmZero = color.RGBA{175, 175, 175, 255} // the many zero counts, quietly
)

// ConfusionMatrix draws counts[t][p], the number of examples of true class t
// predicted as class p, as a square of cell×cell squares: true classes down
// the rows (labelled on the left under "true"), predicted classes across the
// columns (labelled on top under "predicted"), and the overall accuracy
// underneath. Each square is shaded blue by the fraction of its row, the
// square root of it, so that a 1% confusion still shows next to a 98%
// diagonal; the count is written in it when it fits. labels may be nil for
// "0", "1", ... When a name is wider than a square, the columns are
// numbered instead and each row label starts with its number.
func ConfusionMatrix(counts [][]int, labels []string, cell int) (image.Image, error) {
	labels, err := checkConfusion(counts, labels, cell)
	if err != nil {
		return nil, err
	}
	rows, cols := labels, labels
	for i, s := range labels {
		if textWidth(s, 1) > cell-2 && s != strconv.Itoa(i) {
			rows, cols = make([]string, len(labels)), make([]string, len(labels))
			for i, s := range labels {
				cols[i] = strconv.Itoa(i)
				rows[i] = cols[i] + " " + s
			}
			break
		}
	}
	acc := cmAccuracy(counts)
	l, err := newCMLayout(rows, cell, acc)
	if err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, l.width, l.height))
	fill(img, img.Bounds(), white)
	drawCMCells(img, l, counts)
	drawCMLabels(img, l, rows, cols)
	drawText(img, l.x0, l.y0+l.n*l.cell+cmGap, acc, black, 1)
	return img, nil
}

// checkConfusion validates the matrix and returns the labels to draw.
func checkConfusion(counts [][]int, labels []string, cell int) ([]string, error) {
	n := len(counts)
	if n == 0 {
		return nil, errors.New("confusion matrix: no classes")
	}
	if cell < 1 {
		return nil, errors.Errorf("confusion matrix: cell must be positive, got %d", cell)
	}
	for t, row := range counts {
		if len(row) != n {
			return nil, errors.Errorf("confusion matrix: row %d has %d columns, want %d", t, len(row), n)
		}
		for p, c := range row {
			if c < 0 {
				return nil, errors.Errorf("confusion matrix: count [%d][%d] is negative (%d)", t, p, c)
			}
		}
	}
	if labels == nil {
		labels = make([]string, n)
		for i := range labels {
			labels[i] = strconv.Itoa(i)
		}
	}
	if len(labels) != n {
		return nil, errors.Errorf("confusion matrix: %d labels for %d classes", len(labels), n)
	}
	return labels, nil
}

// cmLayout is the geometry of a confusion matrix picture: the matrix's
// top-left corner is (x0, y0).
type cmLayout struct {
	n, cell       int
	x0, y0        int
	width, height int
}

// newCMLayout places the headings, labels and the accuracy line acc around
// an n×n matrix.
func newCMLayout(labels []string, cell int, acc string) (cmLayout, error) {
	l := cmLayout{n: len(labels), cell: cell}
	rowLabelW := 0
	for _, s := range labels {
		rowLabelW = max(rowLabelW, textWidth(s, 1))
	}
	m, err := side("confusion matrix", l.n, cell)
	if err != nil {
		return l, err
	}
	th := textHeight(1)
	// Left: the rotated "true" heading, then the row labels.
	l.x0 = cmMargin + th + cmGap + rowLabelW + cmGap
	// Top: the "predicted" heading, then the column labels.
	l.y0 = cmMargin + th + cmGap + th + cmGap
	// The texts above and below the matrix may be wider than it.
	mw := max(m, textWidth("predicted", 1), textWidth(acc, 1))
	if l.width, err = addSides("confusion matrix width", l.x0, mw, cmMargin); err != nil {
		return l, err
	}
	l.height, err = addSides("confusion matrix height", l.y0, m, cmGap, th, cmMargin)
	return l, err
}

// drawCMCells shades the squares and writes the counts.
func drawCMCells(img *image.RGBA, l cmLayout, counts [][]int) {
	for t, row := range counts {
		total := 0
		for _, c := range row {
			total += c
		}
		for p, c := range row {
			x, y := l.x0+p*l.cell, l.y0+t*l.cell
			shade := 0.0
			if total > 0 {
				shade = math.Sqrt(float64(c) / float64(total))
			}
			fill(img, image.Rect(x, y, x+l.cell, y+l.cell), lerp(white, heatNeg, shade))
			drawCMCount(img, x, y, l.cell, c, shade)
		}
	}
	drawCMLines(img, l)
}

// drawCMCount writes one count centred in its square, white on dark shades,
// when the square is large enough to hold it.
func drawCMCount(img *image.RGBA, x, y, cell, c int, shade float64) {
	s := strconv.Itoa(c)
	if textWidth(s, 1) > cell-2 || textHeight(1) > cell-2 {
		return
	}
	var col color.Color = textGrey
	switch {
	case c == 0:
		col = cmZero
	case shade > 0.55:
		col = white
	}
	drawTextCentered(img, x+cell/2, y+(cell-textHeight(1))/2, s, col, 1)
}

// drawCMLines draws one-pixel lines between squares and a frame around them,
// which keeps pale squares from melting into the background.
func drawCMLines(img *image.RGBA, l cmLayout) {
	m := l.n * l.cell
	for i := 0; i <= l.n; i++ {
		o := min(i*l.cell, m-1)
		fill(img, image.Rect(l.x0+o, l.y0, l.x0+o+1, l.y0+m), cmLine)
		fill(img, image.Rect(l.x0, l.y0+o, l.x0+m, l.y0+o+1), cmLine)
	}
}

// drawCMLabels writes the headings and the labels of the rows and the
// columns.
func drawCMLabels(img *image.RGBA, l cmLayout, rows, cols []string) {
	m := l.n * l.cell
	th := textHeight(1)
	drawTextCentered(img, l.x0+m/2, cmMargin, "predicted", black, 1)
	drawTextUp(img, cmMargin, l.y0+m/2-textWidth("true", 1)/2, "true", black, 1)
	for i := range rows {
		c := l.cell/2 + i*l.cell
		drawTextCentered(img, l.x0+c, l.y0-cmGap-th, cols[i], textGrey, 1)
		drawText(img, l.x0-cmGap-textWidth(rows[i], 1), l.y0+c-th/2, rows[i], textGrey, 1)
	}
}

// cmAccuracy describes the fraction of the diagonal, for under the matrix.
func cmAccuracy(counts [][]int) string {
	right, total := 0, 0
	for t, row := range counts {
		for p, c := range row {
			total += c
			if t == p {
				right += c
			}
		}
	}
	if total == 0 {
		return "no examples"
	}
	return fmt.Sprintf("accuracy %.2f%% of %d", 100*float64(right)/float64(total), total)
}
