package oip

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// The element readers must agree with strconv bit for bit: FP64 with
// ParseFloat, FP32 with float32 of the float64 (MLflow's and numpy's rule).
func TestFloatReadersMatchStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	toks := []string{"0", "-0", "1", "5.1", "0.1", "-3.25", "16777215", "16777216", "0.0000000001",
		"9007199254740991", "9007199254740993", "1.00000000000000000000001", "123456.7", "0.3"}
	for range 200000 {
		digits := r.IntN(18) + 1
		s := strconv.FormatUint(r.Uint64N(uint64(math.Pow10(min(digits, 18)))), 10)
		if p := r.IntN(len(s) + 1); p < len(s) {
			s = s[:p] + "." + s[p:]
			if s[0] == '.' {
				s = "0" + s
			}
		}
		if r.IntN(2) == 0 {
			s = "-" + s
		}
		toks = append(toks, s)
	}
	for _, s := range toks {
		c32 := &f32Col{d: make([]float32, 1), max: math.MaxFloat32}
		if err := c32.read(&lexer{b: []byte(s)}, 0); err != nil {
			t.Fatal(s, err)
		}
		want32, _ := strconv.ParseFloat(s, 64)
		if math.Float32bits(c32.d[0]) != math.Float32bits(float32(want32)) {
			t.Fatalf("FP32 %s: got %g, want %g", s, c32.d[0], want32)
		}
		c64 := &f64Col{d: make([]float64, 1)}
		if err := c64.read(&lexer{b: []byte(s)}, 0); err != nil {
			t.Fatal(s, err)
		}
		want64, _ := strconv.ParseFloat(s, 64)
		if math.Float64bits(c64.d[0]) != math.Float64bits(want64) {
			t.Fatalf("FP64 %s: got %g, want %g", s, c64.d[0], want64)
		}
	}
}
