package ftoa

import (
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// refStyled is how the encoders wrote a float before AppendFloat32/64,
// with strconv alone: api/scoring's appendFloat (Python) and
// internal/jsonw's AppendFloat (JSON). AppendFloat32/64 must write exactly
// this.
func refStyled(f float64, bitSize int, s Style) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	abs := math.Abs(f)
	var exp bool
	switch {
	case s == Python:
		exp = abs != 0 && (abs < 1e-4 || abs >= 1e16)
	case bitSize == 64:
		exp = abs != 0 && (abs < 1e-6 || abs >= 1e21)
	default:
		exp = abs != 0 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)
	}
	if exp {
		b := strconv.AppendFloat(nil, f, 'e', -1, bitSize)
		if n := len(b); s == JSON && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return string(b)
	}
	b := strconv.AppendFloat(nil, f, 'f', -1, bitSize)
	if !strings.Contains(string(b), ".") {
		b = append(b, ".0"...)
	}
	return string(b)
}

// checkStyled reports (with t.Errorf, so that goroutines may call it)
// whether AppendFloat32 (for bitSize 32) or AppendFloat64 agrees with
// refStyled on f in both styles, appended to a prefix in a slice of no
// spare capacity and in one of plenty.
func checkStyled(t *testing.T, f float64, bitSize int) bool {
	t.Helper()
	var scratch [128]byte
	for _, s := range []Style{Python, JSON} {
		want := refStyled(f, bitSize, s)
		for _, dst := range [][]byte{[]byte("[1,"), append(scratch[:0], "[1,"...)} {
			var got []byte
			if bitSize == 32 {
				got = AppendFloat32(dst, float32(f), s)
			} else {
				got = AppendFloat64(dst, f, s)
			}
			if string(got) != "[1,"+want {
				t.Errorf("AppendFloat%d(%v (bits %#x), style %d) = %q, want %q", bitSize, f, math.Float64bits(f), s, got[min(3, len(got)):], want)
				return false
			}
		}
	}
	return true
}

func TestAppendStyled(t *testing.T) {
	vals := []float64{
		0, math.Copysign(0, -1), 1, -1, 0.1, 1.5, 100, 1e21, 1e22, 1e23, 123456789, 0.000123, 1e-7,
		1e-4, 1e-5, 1e-6, 9.999999e-7, 1e16, 1e15, 9999999999999998, 1e20, 9.99999e20, 123456789012345678901.0,
		0.0001234, 0.00001234, 0.000001, 0.0000012345678901234,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 2.2250738585072014e-308, -0.4823529124259949,
		0.30000000000000004, 9007199254740993, 5e-324, 1e308, 1e100, 1.5e-100, math.Inf(1), math.Inf(-1), math.NaN(),
		float64(float32(0.1)), float64(math.MaxFloat32), float64(math.SmallestNonzeroFloat32), 16777216, 1 << 62,
		float64(float32(1e-6)), float64(float32(1e21)), float64(math.Nextafter32(float32(1e21), 0)),
		float64(math.Nextafter32(float32(1e-6), 0)), float64(float32(1e16)), float64(math.Nextafter32(float32(1e16), 0)),
		float64(float32(1e-4)), float64(math.Nextafter32(float32(1e-4), 1)), 0.5, 0.25, 10, 1000000, 123.456,
	}
	for _, f := range vals {
		for _, g := range []float64{f, -f, math.Nextafter(f, 0), math.Nextafter(f, math.Inf(1))} {
			checkStyled(t, g, 64)
			checkStyled(t, float64(float32(g)), 32)
		}
	}
	// Powers of two and ten and their neighbours (the short-interval case
	// of Dragonbox, every digit count and decimal point place).
	for e := -1074; e <= 1023; e++ {
		p := math.Ldexp(1, e)
		for _, f := range []float64{p, math.Nextafter(p, 0), math.Nextafter(p, math.Inf(1))} {
			checkStyled(t, f, 64)
		}
	}
	for e := -149; e <= 127; e++ {
		p := float32(math.Ldexp(1, e))
		for _, f := range []float32{p, math.Nextafter32(p, 0), math.Nextafter32(p, float32(math.Inf(1)))} {
			checkStyled(t, float64(f), 32)
		}
	}
	for q := -323; q <= 308; q++ {
		for _, m := range []string{"1", "9", "12345", "123456789", "1234567890123456", "12345678901234567"} {
			f, _ := strconv.ParseFloat(m+"e"+strconv.Itoa(q), 64)
			checkStyled(t, f, 64)
			checkStyled(t, float64(float32(f)), 32)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		checkStyled(t, math.Float64frombits(r.Uint64()), 64)
		checkStyled(t, float64(math.Float32frombits(r.Uint32())), 32)
		// Values of the size of scores and probabilities.
		f := r.Float64() * math.Pow(10, float64(r.IntN(12)-8))
		checkStyled(t, f, 64)
		checkStyled(t, float64(float32(f)), 32)
	}
}

// TestAppendFloatsList checks the list writers against one AppendFloat32/64
// per element, commas between, over lists of every length up to 40 and
// from a dst of no spare capacity.
func TestAppendFloatsList(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 40 {
		v32 := make([]float32, n)
		v64 := make([]float64, n)
		for i := range n {
			v64[i] = (r.Float64() - 0.3) * math.Pow(10, float64(r.IntN(40)-20))
			if i%7 == 3 {
				v64[i] = math.NaN()
			}
			v32[i] = float32(v64[i])
		}
		for _, s := range []Style{Python, JSON} {
			var w32, w64 []byte
			for i := range n {
				if i > 0 {
					w32, w64 = append(w32, ','), append(w64, ',')
				}
				w32 = append(w32, refStyled(float64(v32[i]), 32, s)...)
				w64 = append(w64, refStyled(v64[i], 64, s)...)
			}
			if got := AppendFloats32([]byte("x"), v32, s); string(got) != "x"+string(w32) {
				t.Errorf("AppendFloats32(%v, %d) = %q, want %q", v32, s, got, "x"+string(w32))
			}
			if got := AppendFloats64([]byte("x"), v64, s); string(got) != "x"+string(w64) {
				t.Errorf("AppendFloats64(%v, %d) = %q, want %q", v64, s, got, "x"+string(w64))
			}
		}
	}
}

// TestEightDigits checks the word-parallel split of a number below 1e8
// into digits (bcd8) against strconv (every 7th number, and every number
// near a power of ten).
func TestEightDigits(t *testing.T) {
	check := func(x uint64) {
		w := bcd8(x) | asciiZeros
		var got [8]byte
		for i := range got {
			got[i] = byte(w >> (8 * i))
		}
		if want := strconv.FormatUint(x+1e8, 10)[1:]; string(got[:]) != want {
			t.Fatalf("bcd8(%d) = %q, want %q", x, got, want)
		}
	}
	for x := uint64(0); x < 1e8; x += 7 {
		check(x)
	}
	for p := uint64(1); p <= 1e8; p *= 10 {
		for x := p - min(p, 1000); x < min(p+1000, 1e8); x++ {
			check(x)
		}
	}
}

// TestAppendKeepsPrefix checks that a number appended to a slice whose
// spare capacity is short of the window does not touch the prefix, and
// that what the caller's slice held before is kept.
func TestAppendKeepsPrefix(t *testing.T) {
	for c := 0; c < 60; c++ {
		buf := make([]byte, 3, 3+c)
		copy(buf, "ab,")
		got := AppendFloat32(buf, -0.12345678, Python)
		if string(got) != "ab,-0.12345678" {
			t.Fatalf("cap %d: %q", 3+c, got)
		}
		got = AppendFloat64(buf, -1.2345678901234568e-300, JSON)
		if string(got) != "ab,-1.2345678901234568e-300" {
			t.Fatalf("cap %d: %q", 3+c, got)
		}
	}
}

func BenchmarkAppendStyled(b *testing.B) {
	v32 := make([]float32, 1000)
	v64 := make([]float64, 1000)
	for i := range v32 {
		v32[i] = float32(i%1000) / 1001 * float32(1+i%7)
		v64[i] = math.Sin(float64(i)) * 3
	}
	buf := make([]byte, 0, 64<<10)
	b.Run("float32/list", func(b *testing.B) {
		b.SetBytes(int64(len(AppendFloats32(nil, v32, Python))))
		cpu := cpuTime()
		for b.Loop() {
			buf = AppendFloats32(buf[:0], v32, Python)
		}
		b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N*len(v32)), "cpu-ns/float")
	})
	b.Run("float32/list-before", func(b *testing.B) {
		p := &styles[Python]
		cpu := cpuTime()
		for b.Loop() {
			buf = buf[:0]
			for i, f := range v32 {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendStyled(buf, float64(f), 32, p)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N*len(v32)), "cpu-ns/float")
	})
	b.Run("float32/one", func(b *testing.B) {
		for i := range b.N {
			buf = AppendFloat32(buf[:0], v32[i%1000], Python)
		}
	})
	b.Run("float32/before", func(b *testing.B) {
		p := &styles[Python]
		for i := range b.N {
			buf = appendStyled(buf[:0], float64(v32[i%1000]), 32, p)
		}
	})
	b.Run("float64/list", func(b *testing.B) {
		b.SetBytes(int64(len(AppendFloats64(nil, v64, Python))))
		cpu := cpuTime()
		for b.Loop() {
			buf = AppendFloats64(buf[:0], v64, Python)
		}
		b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N*len(v64)), "cpu-ns/float")
	})
	b.Run("float64/list-before", func(b *testing.B) {
		p := &styles[Python]
		cpu := cpuTime()
		for b.Loop() {
			buf = buf[:0]
			for i, f := range v64 {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendStyled(buf, f, 64, p)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N*len(v64)), "cpu-ns/float")
	})
	b.Run("float64/one", func(b *testing.B) {
		for i := range b.N {
			buf = AppendFloat64(buf[:0], v64[i%1000], Python)
		}
	})
	b.Run("float64/before", func(b *testing.B) {
		p := &styles[Python]
		for i := range b.N {
			buf = appendStyled(buf[:0], v64[i%1000], 64, p)
		}
	})
}

// cpuTime is the process's CPU time so far, user and system: on a machine
// shared with other work it is steadier than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestNear32 checks near32 against Dragonbox (dbox32Tab) on the
// significands of every float32 exponent, a stride of 389 through them
// (5.5 million values), or the stride in BERTH_FTOA_STRIDE:
// BERTH_FTOA_STRIDE=1 checks all 2^31 normal significands that are not
// powers of two (about 15 s on 2 cores). Where near32 gives up (returns 0)
// put32 asks dbox32Tab, so this is the whole of near32's contract.
func TestNear32(t *testing.T) {
	stride := uint32(389)
	if s := os.Getenv("BERTH_FTOA_STRIDE"); s != "" {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil || n == 0 {
			t.Fatalf("BERTH_FTOA_STRIDE=%q: want a positive integer", s)
		}
		stride = uint32(n)
	}
	var wg sync.WaitGroup
	var gaveUp, checked atomic.Int64
	parts := max(2, runtime.GOMAXPROCS(0))
	for part := range parts {
		wg.Go(func() {
			var g, c int64
			for e := 1 + part; e < 0xff; e += parts {
				for m := uint32(1<<float32MantBits + 1); m < 1<<(float32MantBits+1); m += stride {
					c++
					r := near32(m, &near32Tab[e])
					if r == 0 {
						g++
						continue
					}
					d, e10 := dbox32Tab(m, &pow32Tab[e])
					if uint64(d) != r || e10 != int(near32Tab[e].k) {
						t.Errorf("biased exponent %d, significand %#x: near32 %d×10^%d, dbox32Tab %d×10^%d", e, m, r, near32Tab[e].k, d, e10)
						return
					}
				}
			}
			gaveUp.Add(g)
			checked.Add(c)
		})
	}
	wg.Wait()
	if checked.Load() == 0 || gaveUp.Load()*50 > checked.Load() {
		t.Errorf("near32 gave up on %d of %d significands, want under 2%%", gaveUp.Load(), checked.Load())
	}
	t.Logf("near32 gave up on %d of %d significands", gaveUp.Load(), checked.Load())
}

// TestNear64 checks near64 against Dragonbox (dbox64) where near64
// answers (it returns 0 where it leaves the float to Dragonbox): on random
// normal float64 bit patterns (100,000, or BERTH_FTOA_SAMPLES), on the
// floats nearest short decimals (d×10^e for d below 10^5, a random walk
// with steps of 1-1000 through them for every decimal
// exponent a float64 reaches; their shortest digits are short, where
// near64's choice of the multiple of ten matters) and on their neighbours
// one ulp either side. The two give the same number as d×10^e, the
// trailing zeros aside. float64's 2^63 significands cannot all be checked.
func TestNear64(t *testing.T) {
	samples := 100_000
	if s := os.Getenv("BERTH_FTOA_SAMPLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("BERTH_FTOA_SAMPLES=%q: want a positive integer", s)
		}
		samples = n
	}
	var checked, gaveUp int
	check := func(f float64) bool {
		u := math.Float64bits(f)
		exp := int(u>>float64MantBits) & 0x7ff
		mant := u & (1<<float64MantBits - 1)
		if exp == 0 || exp == 0x7ff || mant == 0 {
			return true
		}
		mant |= 1 << float64MantBits
		be := exp - 1023 - float64MantBits
		checked++
		d, e10 := near64(mant, be)
		if d == 0 {
			gaveUp++
			return true
		}
		wd, we, _ := dbox64(mant, be)
		gd, ge := trimZeros(d)
		wd, wz := trimZeros(wd)
		if gd != wd || e10+ge != we+wz {
			t.Errorf("%v (bits %#x): near64 %d×10^%d, dbox64 %d×10^%d", f, u, gd, e10+ge, wd, we+wz)
			return false
		}
		return true
	}
	r := rand.New(rand.NewPCG(16, 64))
	for range samples {
		if !check(math.Float64frombits(r.Uint64())) {
			return
		}
	}
	for e := -330; e <= 310; e++ {
		for d := 1; d < 100000; d += 1 + r.IntN(1000) {
			f, err := strconv.ParseFloat(strconv.Itoa(d)+"e"+strconv.Itoa(e), 64)
			if err != nil && f == 0 || math.IsInf(f, 0) {
				continue
			}
			if !check(f) || !check(math.Nextafter(f, 0)) || !check(math.Nextafter(f, math.Inf(1))) {
				return
			}
		}
	}
	if gaveUp*50 > checked {
		t.Errorf("near64 gave up on %d of %d floats, want under 2%%", gaveUp, checked)
	}
	t.Logf("near64 gave up on %d of %d floats", gaveUp, checked)
}
