package jsonscan

import (
	"math"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// atPageEnd returns s copied to the end of a page that is followed by a
// page no one may read: a read past the end of the returned text faults.
func atPageEnd(t *testing.T, s string) string {
	t.Helper()
	size := syscall.Getpagesize()
	if len(s) > size {
		t.Fatalf("a %d-byte text does not fit a page of %d", len(s), size)
	}
	mem, err := syscall.Mmap(-1, 0, 2*size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[size:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	b := mem[size-len(s) : size]
	copy(b, s)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// TestFloatsReadsNoFurther: the run loop reads the text through a pointer
// with its bounds checked once per element; on texts that end just
// before a page it may not read, every start and every ending of a run
// reads nothing past the text (a read there would fault) and gives one
// Float per element's results.
func TestFloatsReadsNoFurther(t *testing.T) {
	ocr := "\n          -0.4823529124259949,\n          0.07450985908508301,\n          -0.13725489377975464,\n" +
		"          0.7960784435272217,\n          0,\n          255,\n          0.5\n        ]"
	for _, text := range []string{
		ocr, strings.Repeat(ocr[:len(ocr)-9]+",", 3) + "1]",
		"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36]",
		"0.00000000000000000000000000000001234567890123456789, 1234567890123456789, 0.1234567890123456789, 1e5]",
		strings.Repeat("-0.4823529124259949, ", 8),
	} {
		for cut := 0; cut <= len(text); cut++ { // every ending, the run cut short included
			s := atPageEnd(t, text[:cut])
			for i := 0; i < len(s); i++ {
				fastFloat(s, i)
				got, want := make([]float32, 64), make([]float32, 64)
				n, next, closed := Floats(s, i, got, math.MaxFloat32)
				wn, wnext, wclosed := floatsRef(s, i, want, math.MaxFloat32)
				if n != wn || next != wnext || closed != wclosed {
					t.Fatalf("%q from %d: Floats (%d, %d, %v), reference (%d, %d, %v)", s, i, n, next, closed, wn, wnext, wclosed)
				}
			}
		}
	}
}
