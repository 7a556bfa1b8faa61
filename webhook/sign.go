package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// The headers of a delivery.
const (
	SignatureHeader  = "X-MLflow-Signature"
	DeliveryIDHeader = "X-MLflow-Delivery-Id"
	TimestampHeader  = "X-MLflow-Timestamp"
)

// signatureVersion prefixes the signature.
const signatureVersion = "v1"

// Sign returns MLflow's signature of a delivery: "v1," + the base64 of
// HMAC-SHA256 keyed by secret over "{deliveryID}.{timestamp}.{payload}".
func Sign(secret, deliveryID, timestamp string, payload []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(deliveryID))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(payload)
	return signatureVersion + "," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is Sign's for these values, in
// constant time. A receiver should also check that timestamp is recent.
func Verify(secret, deliveryID, timestamp string, payload []byte, signature string) bool {
	v, sig, ok := strings.Cut(signature, ",")
	if !ok || v != signatureVersion {
		return false
	}
	want := Sign(secret, deliveryID, timestamp, payload)
	return hmac.Equal([]byte(signatureVersion+","+sig), []byte(want))
}
