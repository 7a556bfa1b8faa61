// Package progress draws the progress of long commands (pack, push, pull)
// on a terminal. The libraries report progress through callbacks (pack's
// and modelpack's WithProgress, as go-containerregistry does); the command
// line turns each report into a call here. Off a terminal nothing is drawn,
// so logs and pipes see only the commands' results.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
)

// Bytes writes a size for people: 1.5 MiB, 12.0 KiB, 300 B.
func Bytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func isTerminal(f *os.File) bool { return f != nil && isatty.IsTerminal(f.Fd()) }

// Bars draws a block of lines that it redraws in place: a status line
// (Line) or one bar per part being transferred and one for the whole
// (Bar), at most every 100 ms but always at a part's end.
type Bars struct {
	w     io.Writer
	tty   bool
	lines int      // lines drawn, to move back over
	order []string // parts in the order first seen; "" is the whole
	state map[string]bar
	drawn time.Time
}

type bar struct {
	label           string
	complete, total int64
}

// NewBars draws on f when it is a terminal, and nowhere else.
func NewBars(f *os.File) *Bars { return newBars(f, isTerminal(f)) }

func newBars(w io.Writer, tty bool) *Bars {
	return &Bars{w: w, tty: tty, state: map[string]bar{}}
}

// Line replaces what is drawn with one line of text.
func (b *Bars) Line(text string) {
	if !b.tty {
		return
	}
	b.clear()
	fmt.Fprintln(b.w, text)
	b.lines = 1
}

// Bar sets the bar of part key (shown as label; the key "" is the whole,
// drawn last) to complete of total bytes and redraws the bars.
func (b *Bars) Bar(key, label string, complete, total int64) {
	if !b.tty {
		return
	}
	if _, ok := b.state[key]; !ok && key != "" {
		b.order = append(b.order, key)
	}
	b.state[key] = bar{label, complete, total}
	if time.Since(b.drawn) < 100*time.Millisecond && complete != total {
		return
	}
	b.drawn = time.Now()
	b.clear()
	for _, k := range b.order {
		b.line(b.state[k])
	}
	if all, ok := b.state[""]; ok {
		b.line(all)
	}
}

func (b *Bars) line(p bar) {
	const width = 30
	n := 0
	if p.total > 0 {
		n = int(min(p.complete, p.total) * width / p.total)
	}
	fmt.Fprintf(b.w, "%-12s [%s%s] %s / %s\n", p.label, strings.Repeat("=", n), strings.Repeat(" ", width-n), Bytes(p.complete), Bytes(p.total))
	b.lines++
}

// clear moves back over the lines drawn and erases them.
func (b *Bars) clear() {
	for ; b.lines > 0; b.lines-- {
		fmt.Fprint(b.w, "\033[1A\r\033[K")
	}
}

// Done leaves what was drawn and starts afresh.
func (b *Bars) Done() {
	b.lines = 0
	b.order = nil
	clear(b.state)
}

// Status draws one status line that each Update rewrites, and Done erases.
type Status struct {
	w   io.Writer
	tty bool
	on  bool
}

// NewStatus draws on f when it is a terminal, and nowhere else.
func NewStatus(f *os.File) *Status { return &Status{w: f, tty: isTerminal(f)} }

// Update shows what is being done (a verb), the share of complete in total
// as a percentage, and on what: "pulling  42% model.onnx".
func (s *Status) Update(verb, what string, complete, total int64) {
	if !s.tty {
		return
	}
	s.on = true
	pct := 0
	if total > 0 {
		pct = int(complete * 100 / total)
	}
	fmt.Fprintf(s.w, "\r\033[K%s %3d%% %s", verb, pct, what)
}

// Done erases the status line.
func (s *Status) Done() {
	if s.on {
		fmt.Fprint(s.w, "\r\033[K")
		s.on = false
	}
}
