package trainapp

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/featlearn/featlearn/graph"
)

// progress reports training on stderr: a live bar on a terminal, or a
// line per epoch otherwise (a log file should not fill with bars).
type progress struct {
	w        io.Writer
	bar      bool
	perEpoch int // training images per epoch

	cur      int       // epoch the bar shows
	since    time.Time // when the bar's epoch started (or resumed)
	base     int       // images done in that epoch when it started
	lastDraw time.Time
	drawn    bool
}

// barWidth is the number of cells of the bar itself.
const barWidth = 24

// redraw is the least time between two drawings of the bar.
const redraw = 150 * time.Millisecond

func newProgress(w io.Writer, bar bool, perEpoch int) *progress {
	return &progress{w: w, bar: bar, perEpoch: perEpoch}
}

// step updates the bar after a training step.
func (p *progress) step(s graph.StepInfo) {
	if !p.bar {
		return
	}
	now := time.Now()
	if s.Epoch != p.cur {
		p.cur, p.since, p.base = s.Epoch, now, s.Images
	}
	if now.Sub(p.lastDraw) < redraw && s.Batch < s.Batches {
		return
	}
	p.lastDraw, p.drawn = now, true
	fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(s, now))
}

// line renders the bar: epoch, fraction, images/s, ETA, running metrics.
func (p *progress) line(s graph.StepInfo, now time.Time) string {
	frac := float64(s.Batch) / float64(max(s.Batches, 1))
	full := int(frac * barWidth)
	bar := strings.Repeat("=", full) + strings.Repeat(" ", barWidth-full)
	if full < barWidth {
		bar = bar[:full] + ">" + bar[full+1:]
	}
	rate, eta := 0.0, "--:--"
	if el := now.Sub(p.since).Seconds(); el > 0 && s.Images > p.base {
		rate = float64(s.Images-p.base) / el
		left := time.Duration(float64(max(p.perEpoch-s.Images, 0)) / rate * float64(time.Second))
		eta = clock(left)
	}
	return fmt.Sprintf("epoch %d/%d [%s] %3.0f%% %5.0f img/s ETA %s  loss %.4f  acc %.2f%%",
		s.Epoch, s.Epochs, bar, 100*frac, rate, eta, s.RunningLoss, 100*s.RunningAccuracy)
}

// clock writes a duration as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// epoch prints the line of a finished epoch.
func (p *progress) epoch(e graph.EpochInfo, epochs int) {
	p.clear()
	val := ""
	if e.ValN > 0 {
		val = fmt.Sprintf("  val loss %.4f acc %.2f%%", e.ValLoss, 100*e.ValAccuracy)
	}
	fmt.Fprintf(p.w, "epoch %d/%d  lr %.4g  train loss %.4f acc %.2f%%%s  (%s)\n",
		e.Epoch, epochs, e.LR, e.TrainLoss, 100*e.TrainAccuracy, val, clock(time.Duration(e.Seconds*float64(time.Second))))
}

// clear erases the bar so a normal line can follow.
func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
