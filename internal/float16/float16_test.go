package float16

import (
	"math"
	"testing"
)

func TestFloat16(t *testing.T) {
	cases := []struct {
		f    float32
		bits uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{65504, 0x7bff},                       // largest half
		{65520, 0x7c00},                       // rounds up to Inf
		{float32(math.Inf(1)), 0x7c00},        //
		{float32(math.Inf(-1)), 0xfc00},       //
		{6.103515625e-05, 0x0400},             // smallest normal
		{5.960464477539063e-08, 0x0001},       // smallest subnormal
		{2.9802322387695312e-08, 0x0000},      // half of it: ties to even, 0
		{4.470348358154297e-08, 0x0001},       // 0.75 of it: rounds up
		{0.1, 0x2e66},                         //
		{1.0009765625, 0x3c01},                // 1 + 2^-10
		{1.00048828125, 0x3c00},               // 1 + 2^-11: tie, to even
		{1.00146484375, 0x3c02},               // 1 + 3*2^-11: tie, to even
		{float32(math.Float32frombits(1)), 0}, // float32 subnormal
	}
	for _, c := range cases {
		if got := FromFloat32(c.f); got != c.bits {
			t.Errorf("FromFloat32(%g) = %#04x, want %#04x", c.f, got, c.bits)
		}
	}
	if h := FromFloat32(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("NaN narrowed to %#04x", h)
	}
	// Every half widens exactly and narrows back to itself.
	for h := range 1 << 16 {
		f := ToFloat32(uint16(h))
		if math.IsNaN(float64(f)) {
			if h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
				t.Fatalf("%#04x widened to NaN", h)
			}
			continue
		}
		if back := FromFloat32(f); back != uint16(h) {
			t.Fatalf("%#04x -> %g -> %#04x", h, f, back)
		}
	}
}

func TestBFloat16(t *testing.T) {
	cases := []struct {
		f    float32
		bits uint16
	}{
		{0, 0},
		{1, 0x3f80},
		{-2, 0xc000},
		{1.00390625, 0x3f80}, // 1 + 2^-8: tie, to even
		{1.01171875, 0x3f82}, // 1 + 3*2^-8: tie, to even
		{1.0078125, 0x3f81},  // 1 + 2^-7: exact
		{float32(math.Inf(-1)), 0xff80},
		{math.MaxFloat32, 0x7f80}, // rounds up to Inf
	}
	for _, c := range cases {
		if got := BFromFloat32(c.f); got != c.bits {
			t.Errorf("BFromFloat32(%g) = %#04x, want %#04x", c.f, got, c.bits)
		}
	}
	if h := BFromFloat32(float32(math.NaN())); !math.IsNaN(float64(BToFloat32(h))) {
		t.Errorf("NaN narrowed to %#04x", h)
	}
	for h := range 1 << 16 {
		f := BToFloat32(uint16(h))
		if !math.IsNaN(float64(f)) && BFromFloat32(f) != uint16(h) {
			t.Fatalf("%#04x does not round-trip", h)
		}
	}
}
