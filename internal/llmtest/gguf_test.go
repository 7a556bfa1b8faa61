package llmtest

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestWriteModelDeterministic(t *testing.T) {
	write := func(cfg ModelConfig) []byte {
		t.Helper()
		var b bytes.Buffer
		if err := WriteModel(&b, cfg); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := write(DefaultModelConfig), write(DefaultModelConfig)
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same config differ")
	}
	other := DefaultModelConfig
	other.Seed++
	c := write(other)
	if len(c) != len(a) || bytes.Equal(a, c) {
		t.Fatalf("another seed: want the same size (%d) and other bytes, got %d bytes, equal=%v", len(a), len(c), bytes.Equal(a, c))
	}
	if string(a[:4]) != "GGUF" || binary.LittleEndian.Uint32(a[4:]) != 3 {
		t.Fatalf("header % x: want GGUF version 3", a[:8])
	}
	if n := binary.LittleEndian.Uint64(a[8:]); n != uint64(3+9*DefaultModelConfig.Layers) {
		t.Errorf("tensor count %d, want %d", n, 3+9*DefaultModelConfig.Layers)
	}
	if len(a)%ggufAlign != 0 || len(a) > 1<<20 {
		t.Errorf("size %d: want a multiple of %d under 1 MiB", len(a), ggufAlign)
	}
}

func TestWriteModelRejectsBadConfig(t *testing.T) {
	for _, cfg := range []ModelConfig{
		{},
		{Seed: 1, Embedding: 60, Layers: 1, Heads: 7, FeedFwd: 8, ContextLen: 16}, // 60 % 7 != 0
		{Seed: 1, Embedding: 64, Layers: 0, Heads: 4, FeedFwd: 8, ContextLen: 16},
	} {
		if err := WriteModel(new(bytes.Buffer), cfg); err == nil {
			t.Errorf("WriteModel(%+v): no error", cfg)
		}
	}
}

func TestPrintable(t *testing.T) {
	for tok, want := range map[int]bool{tokSpace: true, tokByte0 + 'a': true, tokByte0 + '~': true,
		tokByte0 + ' ': false, tokByte0 + '\n': false, tokByte0 + 0x80: false, tokEOS: false, tokBOS: false} {
		if got := printable(tok); got != want {
			t.Errorf("printable(%d) = %v, want %v", tok, got, want)
		}
	}
}
