package main

import "testing"

// TestGatewayStarts: the bench's gateway config (an openai endpoint, with
// and without a limit) parses and serves, in this process and as the
// -role gateway child builds it. It failed when a file split dropped the
// builtin providers' import ("The provider 'openai' is not supported").
func TestGatewayStarts(t *testing.T) {
	for _, limit := range []bool{false, true} {
		s, err := newGateway("http://127.0.0.1:1", limit, nil)
		if err != nil {
			t.Fatalf("newGateway(limit %v): %v", limit, err)
		}
		s.Close()
	}
}
