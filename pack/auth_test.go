package pack

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// refusing wraps a registry and answers status, with a Basic challenge on
// 401, to the requests refuse picks; it counts the blob upload requests
// it lets through.
type refusing struct {
	next    http.Handler
	status  int
	refuse  func(r *http.Request) bool
	blobs   atomic.Int64 // blob upload requests let through
	refused atomic.Int64
}

func (h *refusing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.refuse(r) {
		if strings.Contains(r.URL.Path, "/blobs/uploads/") && (r.Method == http.MethodPatch || r.Method == http.MethodPut) {
			h.blobs.Add(1)
		}
		h.next.ServeHTTP(w, r)
		return
	}
	h.refused.Add(1)
	if h.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
	}
	code := "DENIED"
	if h.status == http.StatusUnauthorized {
		code = "UNAUTHORIZED"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(h.status)
	io.WriteString(w, `{"errors":[{"code":"`+code+`","message":"access to the requested resource is not authorized"}]}`)
}

// Which requests a refusing registry refuses.
var (
	refuseAll         = func(*http.Request) bool { return true }
	refuseAllButPing  = func(r *http.Request) bool { return !(r.Method == http.MethodGet && r.URL.Path == "/v2/") }
	refuseManifestPut = func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/")
	}
)

// staticKeychain gives every registry the same credentials.
type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

func TestPushRefused(t *testing.T) {
	anonymous := staticKeychain{authn.Anonymous}
	wrong := staticKeychain{&authn.Basic{Username: "berth", Password: "wrong"}}
	tests := []struct {
		name     string
		status   int
		refuse   func(*http.Request) bool
		keychain authn.Keychain
		blobs    bool     // whether blob uploads get through
		want     []string // in the error, lower-cased
	}{
		{"401 everywhere, anonymous", http.StatusUnauthorized, refuseAll, anonymous, false, []string{"unauthorized"}},
		{"401 everywhere, wrong password", http.StatusUnauthorized, refuseAll, wrong, false, []string{"unauthorized"}},
		{"401 after the ping, anonymous", http.StatusUnauthorized, refuseAllButPing, anonymous, false, []string{"unauthorized"}},
		{"401 after the ping, wrong password", http.StatusUnauthorized, refuseAllButPing, wrong, false, []string{"unauthorized"}},
		{"401 on the manifest", http.StatusUnauthorized, refuseManifestPut, anonymous, true, []string{"unauthorized"}},
		{"403 on the manifest", http.StatusForbidden, refuseManifestPut, anonymous, true, []string{"denied"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
			direct := httptest.NewServer(inner)
			t.Cleanup(direct.Close)
			h := &refusing{next: inner, status: tt.status, refuse: tt.refuse}
			guarded := httptest.NewServer(h)
			t.Cleanup(guarded.Close)

			img := build(t, copyModel(t))
			const repo = "/berth/iris:1"
			ref := strings.TrimPrefix(guarded.URL, "http://") + repo
			_, err := Push(context.Background(), img, ref, WithInsecure(true), WithKeychain(tt.keychain), fastRetry)
			if err == nil {
				t.Fatal("Push succeeded against a registry that refuses it")
			}
			t.Logf("Push: %v", err)
			msg := strings.ToLower(err.Error())
			for _, w := range append([]string{"pushing " + strings.ToLower(ref)}, tt.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			var te *transport.Error
			if !errors.As(err, &te) || te.StatusCode != tt.status {
				t.Errorf("error %v: want a transport.Error with status %d", err, tt.status)
			}
			if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "docker login") {
				t.Errorf("error %q does not say the credentials were refused and what to do", err)
			}
			if h.refused.Load() == 0 {
				t.Error("the registry refused nothing")
			}
			if got := h.blobs.Load() > 0; got != tt.blobs {
				t.Errorf("blob uploads got through: %v, want %v", got, tt.blobs)
			}

			// The inner registry, asked directly, has no such tag.
			_, herr := remote.Head(mustRef(t, strings.TrimPrefix(direct.URL, "http://")+repo))
			if !errors.As(herr, &te) || te.StatusCode != http.StatusNotFound {
				t.Fatalf("after a refused push the tag answers %v, want 404", herr)
			}
		})
	}
}
