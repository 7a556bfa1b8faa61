package proccpu_test

import (
	"os"
	"testing"
	"time"

	"github.com/berthml/berth/bench/proccpu"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name, line string
		want       time.Duration
		bad        bool
	}{
		{"berth", "4242 (berth) S 1 4242 4242 0 -1 4194560 9518 0 0 0 250 37 0 0 20 0 12 0 17311 2195052544 30429 18446744073709551615",
			2870 * time.Millisecond, false},
		{"spaces and parentheses in the name", "7 (a (b) c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1 1", 70 * time.Millisecond, false},
		{"no name", "7 a R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0", 0, true},
		{"cut short", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 3", 0, true},
		{"negative", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 -3 4 0 0", 0, true},
		{"not a number", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 x 4 0 0", 0, true},
	} {
		got, err := proccpu.Parse([]byte(c.line))
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("%s: got %s, %v; want %s, error %v", c.name, got, err, c.want, c.bad)
		}
	}
}

func TestOfSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Fatalf("the bench reads servers' CPU time from /proc: %v", err)
	}
	c0, ok := proccpu.Of(os.Getpid())
	if !ok {
		t.Fatal("Of(this process): not known")
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	if c1, _ := proccpu.Of(os.Getpid()); c1 <= c0 {
		t.Errorf("CPU time did not grow over 50 ms of work: %s then %s", c0, c1)
	}
	if _, ok := proccpu.Of(0); ok {
		t.Error("proccpu.Of(0) is known")
	}
}

func TestSumAndSelf(t *testing.T) {
	one, _ := proccpu.Of(os.Getpid())
	if two := proccpu.Sum(os.Getpid(), 0, os.Getpid()); two < 2*one {
		t.Errorf("Sum of this process twice and an unknown pid: %s, want at least 2 × %s", two, one)
	}
	if d, ok := proccpu.Self(); !ok || d <= 0 {
		t.Errorf("Self: %s, %v", d, ok)
	}
}
