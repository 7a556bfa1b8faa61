package webhook

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Cipher seals webhook secrets for storage with AES-256-GCM under a key
// derived from the server's webhook key.
type Cipher struct{ aead cipher.AEAD }

// sealedPrefix marks a sealed secret and its format version.
const sealedPrefix = "gcm1:"

// NewCipher derives an AES-256 key from key with HKDF-SHA-256 (so any
// string of at least 16 bytes works) and returns its Cipher.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) < 16 {
		return nil, errors.New("the webhook secret key must be at least 16 bytes")
	}
	k, err := hkdf.Key(sha256.New, key, nil, "berth webhook secrets", 32)
	if err != nil {
		return nil, fmt.Errorf("deriving the webhook key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("creating the webhook cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("creating the webhook cipher: %w", err)
	}
	return &Cipher{aead: aead}, nil
}

// RandomCipher is a Cipher under a fresh random key: secrets it seals can
// only be opened by this process.
func RandomCipher() *Cipher {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c, _ := NewCipher(key)
	return c
}

// Seal encrypts a secret; "" stays "" (no secret).
func (c *Cipher) Seal(secret string) string {
	if secret == "" {
		return ""
	}
	nonce := make([]byte, c.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := c.aead.Seal(nonce, nonce, []byte(secret), []byte(sealedPrefix))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// ErrUnsealable is a stored secret that this key cannot open: the server
// key changed, or the value was tampered with.
var ErrUnsealable = errors.New("the webhook secret cannot be decrypted with this server's webhook key")

// Open decrypts what Seal returned.
func (c *Cipher) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", ErrUnsealable
	}
	b, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(b) < c.aead.NonceSize() {
		return "", ErrUnsealable
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, b[:n], b[n:], []byte(sealedPrefix))
	if err != nil {
		return "", ErrUnsealable
	}
	return string(plain), nil
}
