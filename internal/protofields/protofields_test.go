package protofields

import (
	"fmt"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// TestWalk walks the wire types the library decodes: length-delimited
// fields reach fn, varint, fixed32 and fixed64 are skipped, and groups,
// truncated values and field number 0 are malformed.
func TestWalk(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want []string // "num:bytes" of each length-delimited field
		err  error
	}{
		{"empty", nil, nil, nil},
		{"bytes", []byte{0x0a, 0x02, 'h', 'i'}, []string{"1:hi"}, nil},
		{"skips scalars", []byte{0x08, 0x96, 0x01, 0x15, 1, 2, 3, 4, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x22, 0x01, 'x'}, []string{"4:x"}, nil},
		{"truncated varint", []byte{0x08, 0x96}, nil, ErrMalformed},
		{"truncated length", []byte{0x0a, 0x05, 'a'}, nil, ErrMalformed},
		{"truncated fixed64", []byte{0x09, 1, 2}, nil, ErrMalformed},
		{"group", []byte{0x0b, 0x0c}, nil, ErrMalformed},
		{"field zero", []byte{0x02, 0x00}, nil, ErrMalformed},
		{"reserved wire type", []byte{0x0e}, nil, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := Walk(tt.b, func(num protowire.Number, v []byte) error {
				got = append(got, fmt.Sprintf("%d:%s", num, v))
				return nil
			})
			if err != tt.err || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Walk = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// FuzzWalk: any bytes either walk or fail with ErrMalformed, never panic,
// and every field handed to fn lies within b.
func FuzzWalk(f *testing.F) {
	for _, s := range [][]byte{nil, {0x0a, 0x02, 'h', 'i'}, {0x0b, 0x0c}, {0x0a, 0x05, 'a'}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		total := 0
		err := Walk(b, func(_ protowire.Number, v []byte) error {
			total += len(v)
			return nil
		})
		if err != nil && err != ErrMalformed {
			t.Fatalf("error %v", err)
		}
		if total > len(b) {
			t.Fatalf("fields hold %d bytes of a %d-byte message", total, len(b))
		}
	})
}
