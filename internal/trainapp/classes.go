package trainapp

import (
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/featlearn/featlearn/graph"
	"github.com/featlearn/featlearn/viz"
)

// maxMatrixText is the most classes whose confusion matrix is printed as
// text; larger ones are only drawn.
const maxMatrixText = 20

// formatMetrics renders an evaluation as graph.Metrics.Format does, with
// the classes named when names is not nil.
func formatMetrics(m graph.Metrics, names []string) string {
	if names == nil || m.Confusion == nil {
		return m.Format()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "accuracy %.2f%% (%d of %d right), loss %.4f\n", 100*m.Accuracy, int(math.Round(m.Accuracy*float64(m.N))), m.N, m.Loss)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	b.WriteString("\nper-class accuracy:\n")
	for c, a := range m.PerClass() {
		fmt.Fprintf(&b, "  %3d %-*s %7.2f%%\n", c, width, names[c], 100*a)
	}
	if len(names) > maxMatrixText {
		fmt.Fprintf(&b, "\n(%d classes: the confusion matrix is in the picture only)\n", len(names))
		return b.String()
	}
	b.WriteString("\nconfusion matrix (rows: true class, columns: predicted, numbered as above):\n")
	fmt.Fprintf(&b, "  %3s %-*s", "", width, "")
	for p := range m.Confusion {
		fmt.Fprintf(&b, "%6d", p)
	}
	b.WriteString("\n")
	for t, row := range m.Confusion {
		fmt.Fprintf(&b, "  %3d %-*s", t, width, names[t])
		for _, c := range row {
			fmt.Fprintf(&b, "%6d", c)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// confusionImage draws an evaluation's confusion matrix, its rows and
// columns labelled by the class names (nil: numbers), its cells smaller
// the more classes there are.
func confusionImage(m graph.Metrics, names []string) (image.Image, error) {
	if names == nil {
		return ConfusionImage(m)
	}
	cell := max(12, min(36, 720/max(len(names), 1)))
	return viz.ConfusionMatrix(m.Confusion, names, cell)
}
