package arch

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Layer kinds of a SPEC.
const (
	kindConv     = "conv"
	kindLC       = "lc"
	kindFC       = "fc"
	kindPool     = "pool"
	kindAvgPool  = "avgpool"
	kindGAP      = "gap"
	kindReLU     = "relu"
	kindSigmoid  = "sigmoid"
	kindTanh     = "tanh"
	kindLReLU    = "lrelu"
	kindBN       = "bn"
	kindDrop     = "drop"
	kindFlatten  = "flatten"
	kindRes      = "res"
	kindResidual = "residual" // [body|shortcut]
	kindConcat   = "concat"   // {a|b}
)

// item is one parsed layer, or a block of them.
type item struct {
	tok  int    // the token's number from 1; the first token inside for blocks
	text string // the token as written
	kind string

	n            int // filters or units; 0 for a bare fc
	k, pad, s    int // kernel, padding, stride (0: the default)
	f            float64
	noBias, excl bool

	body, short []item   // a residual's
	branches    [][]item // a concat's
}

// Arch is a parsed SPEC.
type Arch struct {
	items []item
}

// Forms of each kind, for errors.
var forms = map[string]string{
	kindConv:    "conv<N>@<K>x<K>[pad<P>][s<S>][nobias]",
	kindLC:      "lc<N>@<K>x<K>[pad<P>][s<S>][nobias]",
	kindFC:      "fc<N>[nobias], or a bare fc last",
	kindPool:    "pool<K>[s<S>][pad<P>]",
	kindAvgPool: "avgpool<K>[s<S>][pad<P>][exclpad]",
	kindLReLU:   "lrelu[<slope>]",
	kindDrop:    "drop<rate>, such as drop0.5",
	kindRes:     "res<N>[s<S>]",
}

// anyLayer lists what a token may be.
const anyLayer = "want a layer: conv<N>@<K>x<K>..., lc<N>@<K>x<K>..., fc<N>, pool<K>, avgpool<K>, gap, relu, lrelu, sigmoid, tanh, bn, drop<rate>, flatten, res<N>, [body|shortcut] or {branch|branch}"

var (
	reWindowed = regexp.MustCompile(`^(conv|lc)(\d+)@(\d+)x(\d+)((?:pad\d+|s\d+|nobias)*)$`)
	rePool     = regexp.MustCompile(`^(pool|avgpool)(\d+)((?:pad\d+|s\d+|exclpad)*)$`)
	reFC       = regexp.MustCompile(`^fc(\d*)(nobias)?$`)
	reRes      = regexp.MustCompile(`^res(\d+)(?:s(\d+))?$`)
	reDrop     = regexp.MustCompile(`^drop(\d*\.?\d+)$`)
	reLReLU    = regexp.MustCompile(`^lrelu(\d*\.?\d+)?$`)
	reSuffix   = regexp.MustCompile(`pad\d+|s\d+|nobias|exclpad`)
	// keywords by length, longest first, so "avgpool" wins over "pool".
	keywords = []string{kindAvgPool, kindFlatten, kindSigmoid, kindLReLU, kindConv, kindPool, kindReLU, kindTanh, kindDrop, kindGAP, kindRes, kindBN, kindFC, kindLC}
)

// Error is a mistake in a SPEC: the token at fault, when there is one,
// and what was wrong.
type Error struct {
	Token int    // from 1; 0 when the mistake is not one token's
	Text  string // the token as written
	Msg   string
}

func (e *Error) Error() string {
	if e.Token == 0 {
		return "arch: " + e.Msg
	}
	return fmt.Sprintf("arch: token %d %q: %s", e.Token, e.Text, e.Msg)
}

// parser reads a SPEC left to right.
type parser struct {
	s    string
	pos  int
	toks int
}

// Parse reads a SPEC (see the package documentation). It checks the
// grammar and each layer's numbers; Check and Build check the shapes.
func Parse(spec string) (*Arch, error) {
	p := &parser{s: strings.TrimSpace(spec)}
	if p.s == "" {
		return nil, &Error{Msg: "empty SPEC: " + anyLayer}
	}
	items, err := p.seq("")
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.s) {
		return nil, &Error{Msg: fmt.Sprintf("unexpected %q at character %d", p.s[p.pos], p.pos+1)}
	}
	return &Arch{items: items}, nil
}

// seq reads items joined by '-' up to one of the stop characters.
func (p *parser) seq(stop string) ([]item, error) {
	var items []item
	for {
		it, err := p.item()
		if err != nil {
			return nil, err
		}
		items = append(items, it)
		if p.pos < len(p.s) && p.s[p.pos] == '-' {
			p.pos++
			continue
		}
		if p.pos == len(p.s) || strings.IndexByte(stop, p.s[p.pos]) >= 0 {
			return items, nil
		}
		return nil, &Error{Msg: fmt.Sprintf("unexpected %q at character %d: join layers with '-'", p.s[p.pos], p.pos+1)}
	}
}

// item reads a layer, a residual or a concat.
func (p *parser) item() (item, error) {
	start := p.pos
	if p.pos < len(p.s) && (p.s[p.pos] == '[' || p.s[p.pos] == '{') {
		open := p.s[p.pos]
		close := map[byte]byte{'[': ']', '{': '}'}[open]
		p.pos++
		it := item{tok: p.toks + 1, kind: kindResidual}
		var parts [][]item
		for {
			part, err := p.seq("|" + string(close))
			if err != nil {
				return item{}, err
			}
			parts = append(parts, part)
			if p.pos == len(p.s) {
				return item{}, &Error{Msg: fmt.Sprintf("%q at character %d is never closed by %q", open, start+1, close)}
			}
			c := p.s[p.pos]
			p.pos++
			if c == close {
				break
			}
		}
		it.text = p.s[start:p.pos]
		if open == '[' {
			if len(parts) > 2 {
				return item{}, &Error{Msg: fmt.Sprintf("the residual at character %d has %d parts: want [body] or [body|shortcut]", start+1, len(parts))}
			}
			it.body = parts[0]
			if len(parts) == 2 {
				it.short = parts[1]
			}
			return it, nil
		}
		if len(parts) < 2 {
			return item{}, &Error{Msg: fmt.Sprintf("the concat at character %d has one branch: want {branch|branch...}", start+1)}
		}
		it.kind, it.branches = kindConcat, parts
		return it, nil
	}
	for p.pos < len(p.s) && !strings.ContainsRune("-[]{}|", rune(p.s[p.pos])) {
		p.pos++
	}
	p.toks++
	return parseToken(p.toks, p.s[start:p.pos])
}

// parseToken reads one layer token.
func parseToken(tok int, text string) (item, error) {
	it := item{tok: tok, text: text}
	bad := func(kind string) (item, error) {
		return item{}, &Error{Token: tok, Text: text, Msg: "want " + forms[kind]}
	}
	switch text {
	case kindGAP, kindReLU, kindSigmoid, kindTanh, kindBN, kindFlatten:
		it.kind = text
		return it, nil
	case "softmax":
		return item{}, &Error{Token: tok, Text: text, Msg: "the loss applies the softmax itself: end the SPEC with an fc layer"}
	}
	kind := ""
	for _, k := range keywords {
		if strings.HasPrefix(text, k) {
			kind = k
			break
		}
	}
	var err error
	switch kind {
	case kindConv, kindLC:
		m := reWindowed.FindStringSubmatch(text)
		if m == nil {
			return bad(kind)
		}
		it.kind = kind
		if it.n, err = number(m[2]); err == nil {
			it.k, err = number(m[3])
		}
		if err == nil && m[3] != m[4] {
			return item{}, &Error{Token: tok, Text: text, Msg: "want a square kernel, " + forms[kind]}
		}
		if err == nil {
			err = it.suffixes(m[5], "pad", "s", "nobias")
		}
	case kindPool, kindAvgPool:
		m := rePool.FindStringSubmatch(text)
		if m == nil || (kind == kindPool && strings.Contains(m[3], "exclpad")) {
			return bad(kind)
		}
		it.kind = kind
		if it.k, err = number(m[2]); err == nil {
			err = it.suffixes(m[3], "pad", "s", "exclpad")
		}
	case kindFC:
		m := reFC.FindStringSubmatch(text)
		if m == nil {
			return bad(kind)
		}
		it.kind, it.noBias = kind, m[2] != ""
		if m[1] != "" {
			it.n, err = number(m[1])
		}
	case kindRes:
		m := reRes.FindStringSubmatch(text)
		if m == nil {
			return bad(kind)
		}
		it.kind = kind
		if it.n, err = number(m[1]); err == nil && m[2] != "" {
			it.s, err = number(m[2])
		}
	case kindDrop:
		m := reDrop.FindStringSubmatch(text)
		if m == nil {
			return bad(kind)
		}
		it.kind = kind
		if it.f, err = strconv.ParseFloat(m[1], 64); err == nil && !(it.f >= 0 && it.f < 1) {
			return item{}, &Error{Token: tok, Text: text, Msg: "want a dropout rate from 0 up to but not including 1"}
		}
	case kindLReLU:
		m := reLReLU.FindStringSubmatch(text)
		if m == nil {
			return bad(kind)
		}
		it.kind, it.f = kind, 0.01
		if m[1] != "" {
			if it.f, err = strconv.ParseFloat(m[1], 64); err == nil && !(it.f >= 0 && it.f < 1) {
				return item{}, &Error{Token: tok, Text: text, Msg: "want a slope from 0 up to but not including 1"}
			}
		}
	default:
		return item{}, &Error{Token: tok, Text: text, Msg: anyLayer}
	}
	if err != nil {
		return item{}, &Error{Token: tok, Text: text, Msg: err.Error()}
	}
	return it, nil
}

// suffixes reads a layer's pad, stride and flag suffixes, each at most
// once.
func (it *item) suffixes(s string, pad, stride, flag string) error {
	seen := map[string]bool{}
	for _, m := range reSuffix.FindAllString(s, -1) {
		key := strings.TrimRight(m, "0123456789")
		if seen[key] {
			return errors.Errorf("%s given twice, want %s", key, forms[it.kind])
		}
		seen[key] = true
		var err error
		switch key {
		case pad:
			it.pad, err = wholeNumber(m[len(pad):], 0)
		case stride:
			it.s, err = number(m[len(stride):])
		case "nobias":
			it.noBias = true
		case "exclpad":
			it.excl = true
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// number reads a whole number of at least 1.
func number(s string) (int, error) { return wholeNumber(s, 1) }

// wholeNumber reads a whole number of at least least, refusing ones too
// large for an int.
func wholeNumber(s string, least int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n > 1<<30 {
		return 0, errors.Errorf("%s is too large a number", s)
	}
	if n < least {
		return 0, errors.Errorf("%d: want a number of at least %d", n, least)
	}
	return n, nil
}

// String writes the SPEC in its canonical form, which Parse reads back:
// LeNet-5's SPEC is its own canonical form.
func (a *Arch) String() string { return writeSeq(a.items) }

func writeSeq(items []item) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.String()
	}
	return strings.Join(parts, "-")
}

// String writes one item canonically.
func (it item) String() string {
	suffix := func(defaultStride int) string {
		s := ""
		if it.pad > 0 {
			s += fmt.Sprintf("pad%d", it.pad)
		}
		if it.s != 0 && it.s != defaultStride {
			s += fmt.Sprintf("s%d", it.s)
		}
		if it.noBias {
			s += "nobias"
		}
		if it.excl {
			s += "exclpad"
		}
		return s
	}
	switch it.kind {
	case kindConv, kindLC:
		return fmt.Sprintf("%s%d@%dx%d%s", it.kind, it.n, it.k, it.k, suffix(1))
	case kindPool, kindAvgPool:
		return fmt.Sprintf("%s%d%s", it.kind, it.k, suffix(it.k))
	case kindFC:
		if it.n == 0 {
			return "fc" + suffix(1)
		}
		return fmt.Sprintf("fc%d%s", it.n, suffix(1))
	case kindRes:
		return fmt.Sprintf("res%d%s", it.n, suffix(1))
	case kindDrop:
		return fmt.Sprintf("drop%s", strconv.FormatFloat(it.f, 'f', -1, 64))
	case kindLReLU:
		if it.f == 0.01 {
			return "lrelu"
		}
		return "lrelu" + strconv.FormatFloat(it.f, 'f', -1, 64)
	case kindResidual:
		if it.short != nil {
			return "[" + writeSeq(it.body) + "|" + writeSeq(it.short) + "]"
		}
		return "[" + writeSeq(it.body) + "]"
	case kindConcat:
		parts := make([]string, len(it.branches))
		for i, b := range it.branches {
			parts[i] = writeSeq(b)
		}
		return "{" + strings.Join(parts, "|") + "}"
	}
	return it.kind
}

// last returns the SPEC's last item.
func (a *Arch) last() *item { return &a.items[len(a.items)-1] }

// WithClasses returns the SPEC with a bare last fc given one unit per
// class, as a checkpoint records it.
func (a *Arch) WithClasses(classes int) *Arch {
	out := &Arch{items: append([]item(nil), a.items...)}
	if l := out.last(); l.kind == kindFC && l.n == 0 {
		l.n = classes
	}
	return out
}
