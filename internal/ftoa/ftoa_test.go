package ftoa

import (
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// check reports (with t.Errorf, so that goroutines may call it) whether
// Append agrees with strconv on f.
func check(t *testing.T, f float64, format byte, bitSize int) bool {
	t.Helper()
	var a, b [32]byte
	want := strconv.AppendFloat(a[:0], f, format, -1, bitSize)
	if got := Append(b[:0], f, format, bitSize); string(got) != string(want) {
		t.Errorf("Append(%v (bits %#x), %q, %d) = %q, strconv says %q", f, math.Float64bits(f), format, bitSize, got, want)
		return false
	}
	return true
}

func TestAppend(t *testing.T) {
	for _, f := range []float64{
		0, math.Copysign(0, -1), 1, -1, 0.1, 1.5, 100, 1e21, 1e22, 1e23, 123456789, 0.000123, 1e-7,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 2.2250738585072014e-308, -0.4823529124259949,
		0.30000000000000004, 9007199254740993, 5e-324, 1e308, math.Inf(1), math.Inf(-1), math.NaN(),
		float64(float32(0.1)), float64(math.MaxFloat32), float64(math.SmallestNonzeroFloat32), 16777216, 1 << 62,
	} {
		for _, format := range []byte{'e', 'f', 'g'} {
			check(t, f, format, 64)
			check(t, float64(float32(f)), format, 32)
		}
	}
	// Every power of two and of ten in range, and their neighbours: the
	// boundary cases of Dragonbox (mantissa zero, exponents where the
	// interval is asymmetric).
	for e := -1074; e <= 1023; e++ {
		p := math.Ldexp(1, e)
		for _, f := range []float64{p, math.Nextafter(p, 0), math.Nextafter(p, math.Inf(1))} {
			check(t, f, 'e', 64)
			check(t, f, 'f', 64)
		}
	}
	for e := -149; e <= 127; e++ {
		p := float32(math.Ldexp(1, e))
		for _, f := range []float32{p, math.Nextafter32(p, 0), math.Nextafter32(p, float32(math.Inf(1)))} {
			check(t, float64(f), 'e', 32)
			check(t, float64(f), 'f', 32)
		}
	}
	for q := -323; q <= 308; q++ {
		f, _ := strconv.ParseFloat("1e"+strconv.Itoa(q), 64)
		check(t, f, 'e', 64)
		check(t, f, 'e', 32)
	}
}

// TestFloat32Sample walks float32's bit patterns with a stride of 4099
// (about a million values, every exponent, both signs), checking Append
// against strconv and AppendFloat32 (both styles) against refStyled, or
// the stride in
// BERTH_FTOA_STRIDE: BERTH_FTOA_STRIDE=1 checks all 2^32 of them
// (docs/speed.md says when that was last run).
func TestFloat32Sample(t *testing.T) {
	stride := uint64(4099)
	if s := os.Getenv("BERTH_FTOA_STRIDE"); s != "" {
		var err error
		if stride, err = strconv.ParseUint(s, 10, 32); err != nil || stride == 0 {
			t.Fatalf("BERTH_FTOA_STRIDE=%q: want a positive integer", s)
		}
	}
	var wg sync.WaitGroup
	parts := uint64(max(2, runtime.GOMAXPROCS(0)))
	for part := range parts {
		wg.Go(func() {
			for u := part * stride; u < 1<<32; u += parts * stride {
				f := float64(math.Float32frombits(uint32(u)))
				if !check(t, f, 'e', 32) || !check(t, f, 'f', 32) || !checkStyled(t, f, 32) {
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzAppend(f *testing.F) {
	for _, v := range []uint64{0, 1, 0x3ff0000000000000, 0x7fefffffffffffff, 0x8000000000000001, 0x3fb999999999999a} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, u uint64) {
		v := math.Float64frombits(u)
		check(t, v, 'e', 64)
		check(t, v, 'f', 64)
		v32 := float64(math.Float32frombits(uint32(u)))
		check(t, v32, 'e', 32)
		check(t, v32, 'f', 32)
		checkStyled(t, v, 64)
		checkStyled(t, v32, 32)
	})
}

func BenchmarkAppend(b *testing.B) {
	vals := make([]float64, 1024)
	for i := range vals {
		vals[i] = float64(float32(math.Sin(float64(i)) * 3))
	}
	buf := make([]byte, 0, 64)
	for _, c := range []struct {
		name string
		fn   func([]byte, float64, byte, int) []byte
	}{
		{"ftoa", Append},
		{"strconv", func(b []byte, f float64, format byte, bitSize int) []byte {
			return strconv.AppendFloat(b, f, format, -1, bitSize)
		}},
	} {
		for _, bits := range []int{32, 64} {
			b.Run(c.name+"/"+strconv.Itoa(bits), func(b *testing.B) {
				for i := range b.N {
					buf = c.fn(buf[:0], vals[i&1023], 'f', bits)
				}
			})
		}
	}
}
