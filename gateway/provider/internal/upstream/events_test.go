package upstream_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// TestEventsWithoutAny: a 2xx answer to a stream request that holds no
// event (a body that is not an event stream) is a bad answer naming the
// provider, not an empty stream; "[DONE]" alone and any event are not.
func TestEventsWithoutAny(t *testing.T) {
	c := &upstream.Caller{Provider: "mistral", Client: http.DefaultClient}
	for _, tt := range []struct {
		body string
		bad  bool
	}{
		{"this is not an event stream\n", true},
		{"", true},
		{"data: [DONE]\n\n", false},
		{"data: {}\n\n", false},
	} {
		resp := &http.Response{Body: io.NopCloser(strings.NewReader(tt.body))}
		err := c.Events(context.Background(), resp, func([]byte) error { return nil })
		pe, ok := provider.AsError(err)
		if bad := ok && pe.Kind == provider.KindBadResponse && pe.Provider == "mistral"; bad != tt.bad || !tt.bad && err != nil {
			t.Errorf("%q: %v", tt.body, err)
		}
	}
}
