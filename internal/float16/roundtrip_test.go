package float16

import (
	"math"
	"testing"
)

func TestHalfRoundTrip(t *testing.T) {
	// Every half value widens and narrows back to itself.
	for h := range 1 << 16 {
		f := ToFloat32(uint16(h))
		back := FromFloat32(f)
		if math.IsNaN(float64(f)) {
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("half %#04x -> %g -> %#04x", h, f, back)
		}
	}
	tests := []struct {
		f    float32
		want uint16
	}{
		{1, 0x3c00},
		{65504, 0x7bff},
		{65520, 0x7c00},                 // rounds up to Inf
		{1 + 1.0/2048, 0x3c00},          // tie to even
		{1 + 3.0/2048, 0x3c02},          // tie to even, upwards
		{2.9802322e-08, 0x0000},         // half the smallest subnormal: tie to even 0
		{2.9802326e-08, 0x0001},         // just above it
		{float32(math.Inf(-1)), 0xfc00}, //
		{-0.0, 0x0000},                  // see below for the sign
		{1e-10, 0},                      //
		{6.097555e-05, 0x03ff},          // largest subnormal
	}
	for _, tt := range tests {
		if got := FromFloat32(tt.f); got != tt.want {
			t.Errorf("FromFloat32(%g) = %#04x, want %#04x", tt.f, got, tt.want)
		}
	}
	if got := FromFloat32(float32(math.Copysign(0, -1))); got != 0x8000 {
		t.Errorf("-0 = %#04x", got)
	}
}

func TestBFloat16RoundTrip(t *testing.T) {
	for h := range 1 << 16 {
		f := math.Float32frombits(uint32(h) << 16)
		if math.IsNaN(float64(f)) {
			continue
		}
		if back := BFromFloat32(f); back != uint16(h) {
			t.Fatalf("bf16 %#04x -> %g -> %#04x", h, f, back)
		}
	}
	if got := BFromFloat32(math.Float32frombits(0x3f808000)); got != 0x3f80 {
		t.Errorf("tie rounds to %#04x, want even 0x3f80", got)
	}
	if got := BFromFloat32(float32(math.NaN())); got&0x7f80 != 0x7f80 || got&0x7f == 0 {
		t.Errorf("NaN = %#04x", got)
	}
}
