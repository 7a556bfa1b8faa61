package progress

import (
	"strings"
	"testing"
)

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3072.0 MiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestBars: parts are drawn in the order first seen with the whole last,
// each redraw first moves back over the lines drawn, and off a terminal
// nothing is written.
func TestBars(t *testing.T) {
	var w strings.Builder
	b := newBars(&w, true)
	b.Line("packed layer 1/2: model")
	b.Bar("sha256:b", "bbbb", 10, 10)
	b.Bar("", "total", 10, 20)
	b.Bar("sha256:a", "aaaa", 10, 10)
	got := w.String()
	last := got[strings.LastIndex(got, "\033[K")+len("\033[K"):]
	want := "bbbb         [==============================] 10 B / 10 B\n" +
		"aaaa         [==============================] 10 B / 10 B\n" +
		"total        [===============               ] 10 B / 20 B\n"
	if last != want {
		t.Errorf("last drawing:\n%q\nwant\n%q", last, want)
	}
	// Over the line, then over b's bar; the unfinished total within 100 ms
	// of a drawing waits for the next.
	if n := strings.Count(got, "\033[1A"); n != 2 {
		t.Errorf("moved up %d lines, want 2:\n%q", n, got)
	}
	b.Done()
	if b.lines != 0 || len(b.order) != 0 || len(b.state) != 0 {
		t.Errorf("Done kept %d lines, %v", b.lines, b.order)
	}

	var off strings.Builder
	q := newBars(&off, false)
	q.Line("x")
	q.Bar("", "total", 1, 2)
	s := &Status{w: &off}
	s.Update("pulling", "model.onnx", 1, 2)
	s.Done()
	if off.Len() != 0 {
		t.Errorf("off a terminal: %q", off.String())
	}
}

func TestStatus(t *testing.T) {
	var w strings.Builder
	s := &Status{w: &w, tty: true}
	s.Update("pulling", "model.onnx", 42, 100)
	s.Done()
	s.Done()
	if got, want := w.String(), "\r\033[Kpulling  42% model.onnx\r\033[K"; got != want {
		t.Errorf("drew %q, want %q", got, want)
	}
}
