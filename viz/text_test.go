package viz

import (
	"image"
	"testing"
)

// inkBox is the bounding box of the non-white pixels of img.
func inkBox(img *image.RGBA) image.Rectangle {
	var box image.Rectangle
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y) != white {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

func TestText(t *testing.T) {
	if w := textWidth("abc", 1); w != 3*glyphW {
		t.Errorf("width of abc is %d, want %d", w, 3*glyphW)
	}
	if w := textWidth("abc", 2); w != 6*glyphW {
		t.Errorf("doubled width of abc is %d", w)
	}
	flat := solid(60, 60, white)
	drawText(flat, 5, 5, "WWWW", black, 1)
	up := solid(60, 60, white)
	drawTextUp(up, 5, 5, "WWWW", black, 1)
	f, u := inkBox(flat), inkBox(up)
	if f.Dx() <= f.Dy() || u.Dy() <= u.Dx() {
		t.Errorf("text boxes %v (flat) and %v (rotated): rotation did not turn it", f, u)
	}
	if !f.In(image.Rect(5, 5, 5+4*glyphW, 5+glyphH)) || !u.In(image.Rect(5, 5, 5+glyphH, 5+4*glyphW)) {
		t.Errorf("text drawn outside its box: %v, %v", f, u)
	}
	big := solid(80, 40, white)
	drawText(big, 0, 0, "WWWW", black, 2)
	if b := inkBox(big); b.Dx() < 2*f.Dx()-1 {
		t.Errorf("doubled text is %v wide, single %v", b, f)
	}
}
