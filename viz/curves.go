package viz

import (
	"fmt"
	"image"
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Series is one named curve of a Curves plot, for instance the training loss
// per epoch: X and Y are its points, in order, and must have equal lengths.
type Series struct {
	Name string
	X, Y []float64
}

// Minimum size of a Curves picture: below it the title, tick labels and
// legend leave no room for the data.
const (
	MinCurvesWidth  = 240
	MinCurvesHeight = 160
)

// curvesDPI is the resolution at which plot's point sizes become pixels: 96,
// the screen default, makes its 12-point labels 16 pixels tall.
const curvesDPI = 96

// curvesMargin is the blank border round a Curves picture, in pixels.
const curvesMargin = 10

// Curves draws line plots, such as training and test loss against the
// epoch, with a title, axis labels, a light grid and a legend of the named
// series in the right-hand corner, top or bottom, that the curves' ends
// leave free (the bottom for rising accuracy, the top for falling loss). The image is exactly width×height pixels,
// at least MinCurvesWidth×MinCurvesHeight. Series take the colours of
// ClassColor in order; a series with an empty name is drawn but not listed.
func Curves(title, xlabel, ylabel string, width, height int, series ...Series) (img image.Image, err error) {
	if err := checkCurves(width, height, series); err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.Top = legendOnTop(series)
	p.Legend.XOffs = -vg.Points(6)
	p.Legend.YOffs = vg.Points(-6)
	if !p.Legend.Top {
		p.Legend.YOffs = vg.Points(6)
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = ClassColor(7)
	grid.Horizontal.Color = ClassColor(7)
	grid.Vertical.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	grid.Horizontal.Dashes = grid.Vertical.Dashes
	p.Add(grid)
	for i, s := range series {
		if err := addSeries(p, i, s); err != nil {
			return nil, err
		}
	}
	return renderPlot(p, width, height)
}

// checkCurves validates Curves' sizes and series before any drawing.
func checkCurves(width, height int, series []Series) error {
	if width < MinCurvesWidth || height < MinCurvesHeight || width > MaxSide || height > MaxSide {
		return errors.Errorf("curves: size %dx%d outside %dx%d .. %dx%d",
			width, height, MinCurvesWidth, MinCurvesHeight, MaxSide, MaxSide)
	}
	if len(series) == 0 {
		return errors.New("curves: no series")
	}
	for i, s := range series {
		if len(s.X) != len(s.Y) {
			return errors.Errorf("curves: series %d (%q) has %d x and %d y values", i, s.Name, len(s.X), len(s.Y))
		}
		if len(s.X) == 0 {
			return errors.Errorf("curves: series %d (%q) is empty", i, s.Name)
		}
	}
	return nil
}

// addSeries adds series i as a line, with dots when it has few points so
// that a curve of two or three epochs still shows where the data are.
func addSeries(p *plot.Plot, i int, s Series) error {
	xys := make(plotter.XYs, len(s.X))
	for j := range xys {
		xys[j].X, xys[j].Y = s.X[j], s.Y[j]
	}
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return errors.Wrapf(err, "curves: series %d (%q)", i, s.Name)
	}
	line.Color = ClassColor(i)
	line.Width = vg.Points(1.5)
	points.Color = ClassColor(i)
	points.Radius = vg.Points(2)
	p.Add(line)
	if len(xys) <= 30 {
		p.Add(points)
	}
	if s.Name != "" {
		p.Legend.Add(s.Name, line)
	}
	return nil
}

// renderPlot draws p onto a width×height RGBA image. plot reports some
// problems (fonts, degenerate ranges) by panicking; they become errors here
// because no panic may leave this package.
func renderPlot(p *plot.Plot, width, height int) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, errors.Errorf("curves: plot failed: %v", fmt.Sprint(r))
		}
	}()
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	c := vgimg.NewWith(vgimg.UseImage(dst), vgimg.UseDPI(curvesDPI))
	dc := draw.New(c)
	// plot draws up to the canvas edge; a margin keeps the title and the
	// last tick label off the border of a notebook cell or a page.
	m := vg.Points(curvesMargin * 72 / curvesDPI)
	p.Draw(draw.Crop(dc, m, -m, m, -m))
	return c.Image(), nil
}

// legendOnTop reports whether the curves end low, in which case their
// top-right corner is free for the legend: it compares the mean of each
// series' last quarter with the middle of the y range.
func legendOnTop(series []Series) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	sum, n := 0.0, 0
	for _, s := range series {
		a, b := minMax(s.Y)
		lo, hi = math.Min(lo, a), math.Max(hi, b)
		for _, y := range s.Y[len(s.Y)*3/4:] {
			sum += y
			n++
		}
	}
	return sum/float64(n) <= (lo+hi)/2
}
