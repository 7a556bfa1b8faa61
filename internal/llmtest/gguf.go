package llmtest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// ModelConfig shapes the tiny llama-architecture model that WriteModel
// writes. The zero value is not useful; start from DefaultModelConfig.
type ModelConfig struct {
	Seed       uint64 // weights come from a PCG stream seeded with it
	Embedding  int    // n_embd
	Layers     int    // transformer blocks
	Heads      int    // attention heads (and KV heads)
	FeedFwd    int    // feed-forward width
	ContextLen int    // the model's trained context length, in tokens
}

// DefaultModelConfig is the model the tests and the bench use: about 120k
// float32 parameters (under 0.5 MB), written in milliseconds.
var DefaultModelConfig = ModelConfig{Seed: 42, Embedding: 64, Layers: 2, Heads: 4, FeedFwd: 128, ContextLen: 2048}

// The vocabulary: SentencePiece-style ("llama" tokenizer model) with
// <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF> and "▁" (a space,
// so that a space is one token and comes back as a space). Text of any
// bytes tokenizes through the byte fallback, one token per byte.
const (
	tokUnk   = 0
	tokBOS   = 1
	tokEOS   = 2
	tokByte0 = 3 // token of byte b is tokByte0+b
	tokSpace = tokByte0 + 256
	// VocabSize is the number of tokens in the generated model's vocabulary.
	VocabSize = tokSpace + 1
)

// GGUF value types (ggml's docs/gguf.md).
const (
	ggufUint32  = 4
	ggufInt32   = 5
	ggufFloat32 = 6
	ggufBool    = 7
	ggufString  = 8
	ggufArray   = 9
	ggmlTypeF32 = 0
	ggufAlign   = 32
)

type kv struct {
	key string
	typ uint32
	val any
}

type tensor struct {
	name string
	dims []uint64 // ggml order: dims[0] is the contiguous (input) dimension
	data []float32
}

// WriteModel writes a GGUF v3 file of a llama-architecture model with
// random weights drawn from cfg.Seed, so the same config always gives the
// same bytes. Two things make its output readable: every token embedding
// carries a large constant in dimension 0, which no block writes to, and
// the output rows of the tokens that are not printable ASCII (or space)
// weigh that dimension strongly negative, so greedy decoding only ever
// picks printable characters (and never </s>: generation runs to the
// token limit or a stop sequence).
func WriteModel(w io.Writer, cfg ModelConfig) error {
	if cfg.Embedding <= 0 || cfg.Layers <= 0 || cfg.Heads <= 0 || cfg.FeedFwd <= 0 || cfg.ContextLen <= 0 ||
		cfg.Embedding%cfg.Heads != 0 {
		return fmt.Errorf("writing model: invalid config %+v", cfg)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6265727468)) // "berth"
	d, ff, v := cfg.Embedding, cfg.FeedFwd, VocabSize
	randMat := func(out, in int, scale float64, zeroRow0 bool) []float32 {
		m := make([]float32, out*in)
		for i := range m {
			m[i] = float32(rng.NormFloat64() * scale)
		}
		if zeroRow0 { // keep the residual stream's dimension 0 constant
			clear(m[:in])
		}
		return m
	}
	ones := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = 1
		}
		return s
	}

	embd := randMat(v, d, 1, false)
	for t := range v {
		embd[t*d] = 8
	}
	output := randMat(v, d, 1, false)
	for t := range v {
		output[t*d] = 0
		if !printable(t) {
			output[t*d] = -50
		}
	}
	tensors := []tensor{
		{"token_embd.weight", []uint64{uint64(d), uint64(v)}, embd},
		{"output_norm.weight", []uint64{uint64(d)}, ones(d)},
		{"output.weight", []uint64{uint64(d), uint64(v)}, output},
	}
	s := 1 / math.Sqrt(float64(d))
	for l := range cfg.Layers {
		p := fmt.Sprintf("blk.%d.", l)
		tensors = append(tensors,
			tensor{p + "attn_norm.weight", []uint64{uint64(d)}, ones(d)},
			tensor{p + "attn_q.weight", []uint64{uint64(d), uint64(d)}, randMat(d, d, s, false)},
			tensor{p + "attn_k.weight", []uint64{uint64(d), uint64(d)}, randMat(d, d, s, false)},
			tensor{p + "attn_v.weight", []uint64{uint64(d), uint64(d)}, randMat(d, d, s, false)},
			tensor{p + "attn_output.weight", []uint64{uint64(d), uint64(d)}, randMat(d, d, s, true)},
			tensor{p + "ffn_norm.weight", []uint64{uint64(d)}, ones(d)},
			tensor{p + "ffn_gate.weight", []uint64{uint64(d), uint64(ff)}, randMat(ff, d, s, false)},
			tensor{p + "ffn_up.weight", []uint64{uint64(d), uint64(ff)}, randMat(ff, d, s, false)},
			tensor{p + "ffn_down.weight", []uint64{uint64(ff), uint64(d)}, randMat(d, ff, 1/math.Sqrt(float64(ff)), true)},
		)
	}

	tokens := make([]string, v)
	scores := make([]float32, v)
	types := make([]int32, v)
	tokens[tokUnk], types[tokUnk] = "<unk>", 2 // UNKNOWN
	tokens[tokBOS], types[tokBOS] = "<s>", 3   // CONTROL
	tokens[tokEOS], types[tokEOS] = "</s>", 3  // CONTROL
	for b := range 256 {
		tokens[tokByte0+b], types[tokByte0+b] = fmt.Sprintf("<0x%02X>", b), 6 // BYTE
	}
	tokens[tokSpace], types[tokSpace] = "\u2581", 1 // NORMAL

	meta := []kv{
		{"general.architecture", ggufString, "llama"},
		{"general.name", ggufString, "berth-tiny-random"},
		{"general.alignment", ggufUint32, uint32(ggufAlign)},
		{"llama.context_length", ggufUint32, uint32(cfg.ContextLen)},
		{"llama.embedding_length", ggufUint32, uint32(d)},
		{"llama.block_count", ggufUint32, uint32(cfg.Layers)},
		{"llama.feed_forward_length", ggufUint32, uint32(ff)},
		{"llama.attention.head_count", ggufUint32, uint32(cfg.Heads)},
		{"llama.attention.head_count_kv", ggufUint32, uint32(cfg.Heads)},
		{"llama.rope.dimension_count", ggufUint32, uint32(d / cfg.Heads)},
		{"llama.attention.layer_norm_rms_epsilon", ggufFloat32, float32(1e-5)},
		{"llama.vocab_size", ggufUint32, uint32(v)},
		{"tokenizer.ggml.model", ggufString, "llama"},
		{"tokenizer.ggml.tokens", ggufArray, tokens},
		{"tokenizer.ggml.scores", ggufArray, scores},
		{"tokenizer.ggml.token_type", ggufArray, types},
		{"tokenizer.ggml.unknown_token_id", ggufUint32, uint32(tokUnk)},
		{"tokenizer.ggml.bos_token_id", ggufUint32, uint32(tokBOS)},
		{"tokenizer.ggml.eos_token_id", ggufUint32, uint32(tokEOS)},
		{"tokenizer.ggml.add_bos_token", ggufBool, true},
		{"tokenizer.ggml.add_eos_token", ggufBool, false},
		{"tokenizer.ggml.add_space_prefix", ggufBool, false},
	}
	return writeGGUF(w, meta, tensors)
}

// printable reports whether token t is a character greedy decoding may
// produce: printable ASCII or the space token.
func printable(t int) bool {
	if t == tokSpace {
		return true
	}
	b := t - tokByte0
	return b > ' ' && b < 0x7f
}

func writeGGUF(w io.Writer, meta []kv, tensors []tensor) error {
	bw := bufio.NewWriter(w)
	le := binary.LittleEndian
	var buf []byte
	u32 := func(x uint32) { buf = le.AppendUint32(buf, x) }
	u64 := func(x uint64) { buf = le.AppendUint64(buf, x) }
	str := func(s string) { u64(uint64(len(s))); buf = append(buf, s...) }

	buf = append(buf, "GGUF"...)
	u32(3)
	u64(uint64(len(tensors)))
	u64(uint64(len(meta)))
	for _, m := range meta {
		str(m.key)
		u32(m.typ)
		switch x := m.val.(type) {
		case string:
			str(x)
		case uint32:
			u32(x)
		case float32:
			u32(math.Float32bits(x))
		case bool:
			b := byte(0)
			if x {
				b = 1
			}
			buf = append(buf, b)
		case []string:
			u32(ggufString)
			u64(uint64(len(x)))
			for _, s := range x {
				str(s)
			}
		case []float32:
			u32(ggufFloat32)
			u64(uint64(len(x)))
			for _, f := range x {
				u32(math.Float32bits(f))
			}
		case []int32:
			u32(ggufInt32)
			u64(uint64(len(x)))
			for _, i := range x {
				u32(uint32(i))
			}
		default:
			return fmt.Errorf("writing GGUF: key %s: unsupported value %T", m.key, m.val)
		}
	}
	var off uint64
	for _, t := range tensors {
		str(t.name)
		u32(uint32(len(t.dims)))
		for _, d := range t.dims {
			u64(d)
		}
		u32(ggmlTypeF32)
		u64(off)
		off += pad(uint64(len(t.data)) * 4)
	}
	buf = append(buf, make([]byte, pad(uint64(len(buf)))-uint64(len(buf)))...)
	for _, t := range tensors {
		n := uint64(len(t.data)) * 4
		for _, f := range t.data {
			u32(math.Float32bits(f))
		}
		buf = append(buf, make([]byte, pad(n)-n)...)
	}
	if _, err := bw.Write(buf); err != nil {
		return fmt.Errorf("writing GGUF: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing GGUF: %w", err)
	}
	return nil
}

func pad(n uint64) uint64 { return (n + ggufAlign - 1) / ggufAlign * ggufAlign }
