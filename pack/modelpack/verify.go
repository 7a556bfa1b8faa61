package modelpack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrDigestMismatch is wrapped by the error for a blob whose content does
// not match the digest or size its descriptor gives.
var ErrDigestMismatch = errors.New("blob does not match its descriptor")

// verifier reads a blob, counting and hashing it, and fails as soon as it
// runs past the descriptor's size.
type verifier struct {
	ctx  context.Context
	r    io.Reader
	h    hash.Hash
	n    int64
	desc v1.Descriptor
	tick func(n int64) // called with the bytes of each read
}

func newVerifier(ctx context.Context, r io.Reader, desc v1.Descriptor, tick func(int64)) (*verifier, error) {
	if desc.Digest.Algorithm != "sha256" {
		return nil, fmt.Errorf("layer digest %s: only sha256 is supported", desc.Digest)
	}
	return &verifier{ctx: ctx, r: r, h: sha256.New(), desc: desc, tick: tick}, nil
}

func (v *verifier) Read(p []byte) (int, error) {
	if err := v.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.tick != nil && n > 0 {
		v.tick(int64(n))
	}
	if v.n > v.desc.Size {
		return n, fmt.Errorf("%w: %s is larger than %d bytes", ErrDigestMismatch, v.desc.Digest, v.desc.Size)
	}
	return n, err
}

// finish reads what is left of the blob and checks its size and digest.
func (v *verifier) finish() error {
	if _, err := io.Copy(io.Discard, v); err != nil {
		return err
	}
	if v.n != v.desc.Size {
		return fmt.Errorf("%w: %s has %d bytes, not %d", ErrDigestMismatch, v.desc.Digest, v.n, v.desc.Size)
	}
	if got := hex.EncodeToString(v.h.Sum(nil)); got != v.desc.Digest.Hex {
		return fmt.Errorf("%w: content of %s hashes to sha256:%s", ErrDigestMismatch, v.desc.Digest, got)
	}
	return nil
}
