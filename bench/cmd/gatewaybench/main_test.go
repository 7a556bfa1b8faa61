package main

import "testing"

// TestGatewayStarts: the bench's gateway config (an openai endpoint, with
// and without a limit) makes a gateway, as both the in-process layout and
// the -role gateway child build it (newGateway). It failed when a file split dropped the
// builtin providers' import ("The provider 'openai' is not supported").
func TestGatewayStarts(t *testing.T) {
	for _, limit := range []bool{false, true} {
		if _, err := newGateway("http://127.0.0.1:1", limit, nil); err != nil {
			t.Fatalf("newGateway(limit %v): %v", limit, err)
		}
	}
}
