package pack

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var fastRetry = WithRetry(remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3})

// flaky wraps a registry and fails blob uploads (PATCH and PUT under
// /blobs/uploads/) for which fail, given the upload's number from 1, says so.
type flaky struct {
	next    http.Handler
	uploads atomic.Int64
	fail    func(n int64) bool
	drop    bool // drop the connection instead of answering 500
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Path, "/blobs/uploads/") && r.Method == http.MethodPatch {
		if f.fail(f.uploads.Add(1)) {
			if f.drop {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
					return
				}
			}
			http.Error(w, "injected failure", http.StatusInternalServerError)
			return
		}
	}
	f.next.ServeHTTP(w, r)
}

func newRegistry(t *testing.T, h func(http.Handler) http.Handler) string {
	t.Helper()
	var reg http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if h != nil {
		reg = h(reg)
	}
	s := httptest.NewServer(reg)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func TestPushAndPullBack(t *testing.T) {
	host := newRegistry(t, nil)
	img := build(t, copyModel(t))
	var progress []Progress
	ref := host + "/berth/iris:1"
	d, err := Push(context.Background(), img, ref, WithInsecure(true), fastRetry,
		WithProgress(func(p Progress) { progress = append(progress, p) }))
	if err != nil {
		t.Fatal(err)
	}
	if d != digest(t, img) {
		t.Fatalf("Push returned %s, the image is %s", d, digest(t, img))
	}
	last := map[string]Progress{}
	for _, p := range progress {
		last[p.Layer] = p
	}
	for _, l := range append(digests(t, img), v1.Hash{}) {
		key := l.String()
		if l == (v1.Hash{}) {
			key = "" // the whole push
		}
		if p, ok := last[key]; !ok || p.Complete != p.Total || p.Total == 0 {
			t.Errorf("progress of %q: last report %+v (reported: %v), want complete", key, p, ok)
		}
	}
	got, err := remote.Image(mustRef(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, got) != d || !slices.Equal(digests(t, got), digests(t, img)) {
		t.Errorf("pulled %s %v, pushed %s %v", digest(t, got), digests(t, got), d, digests(t, img))
	}
	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.Labels[LabelModelName] != "iris" {
		t.Errorf("pulled labels %v", cf.Config.Labels)
	}
}

func TestPushFailureLeavesNoTag(t *testing.T) {
	tests := []struct {
		name    string
		fail    func(n int64) bool
		drop    bool
		wantErr bool
	}{
		// The first blob goes up, every later one fails: the push fails
		// after the retries.
		{"persistent 500", func(n int64) bool { return n > 1 }, false, true},
		// Two failures, then the registry recovers: the retries carry the
		// push through.
		{"transient 500", func(n int64) bool { return n == 2 || n == 3 }, false, false},
		{"dropped connection", func(n int64) bool { return n == 2 }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := newRegistry(t, func(h http.Handler) http.Handler { return &flaky{next: h, fail: tt.fail, drop: tt.drop} })
			img := build(t, copyModel(t))
			ref := host + "/berth/iris:1"
			_, err := Push(context.Background(), img, ref, WithInsecure(true), fastRetry)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Push: %v, want error %v", err, tt.wantErr)
			}
			_, herr := remote.Head(mustRef(t, ref))
			if !tt.wantErr {
				if herr != nil {
					t.Fatalf("after a push that succeeded: %v", herr)
				}
				return
			}
			var te *transport.Error
			if !errors.As(herr, &te) || te.StatusCode != http.StatusNotFound {
				t.Fatalf("after a failed push the tag answers %v, want 404", herr)
			}
		})
	}
}

func TestPushErrors(t *testing.T) {
	img := build(t, irisDir)
	tests := []struct{ name, ref, want string }{
		{"invalid reference", "Not A/Reference::x", "parsing image reference"},
		{"no registry", "127.0.0.1:1/berth/iris:1", "pushing 127.0.0.1:1/berth/iris:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Push(context.Background(), img, tt.ref, WithInsecure(true), fastRetry)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestLayoutAndTarballRoundTrip(t *testing.T) {
	dir := t.TempDir()
	img := build(t, copyModel(t))
	lay := filepath.Join(dir, "layout")
	for range 2 { // writing twice replaces the tagged image
		if err := WriteLayout(lay, img, "1"); err != nil {
			t.Fatal(err)
		}
	}
	ii, err := layout.ImageIndexFromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Annotations[refNameAnnotation] != "1" || im.Manifests[0].Digest != digest(t, img) {
		t.Fatalf("layout index %+v", im.Manifests)
	}
	back, err := layoutImage(lay, "1", v1.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, back) != digest(t, img) {
		t.Errorf("layout gives back %s, want %s", digest(t, back), digest(t, img))
	}

	file := filepath.Join(dir, "iris.tar")
	if err := WriteTarball(file, img, "berth/iris:1"); err != nil {
		t.Fatal(err)
	}
	tag := name.MustParseReference("berth/iris:1").(name.Tag)
	fromTar, err := tarball.ImageFromPath(file, &tag)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(digests(t, fromTar), digests(t, img)) {
		t.Errorf("tarball layers %v, want %v", digests(t, fromTar), digests(t, img))
	}
	cn, _ := fromTar.ConfigName()
	if want, _ := img.ConfigName(); cn != want {
		t.Errorf("tarball config %s, want %s", cn, want)
	}
	if err := WriteTarball(filepath.Join(dir, "x.tar"), img, "Bad::Name"); err == nil {
		t.Error("WriteTarball took an invalid name")
	}
}

func TestBuildOnBase(t *testing.T) {
	base := build(t, irisDir)
	lay := filepath.Join(t.TempDir(), "base")
	if err := WriteLayout(lay, base, "base"); err != nil {
		t.Fatal(err)
	}
	host := newRegistry(t, nil)
	if _, err := Push(context.Background(), base, host+"/base:1", WithInsecure(true)); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"oci:" + lay + ":base", "oci:" + lay, host + "/base:1"} {
		t.Run(ref, func(t *testing.T) {
			img := build(t, copyModel(t), WithBase(ref), WithInsecure(true))
			bl, l := digests(t, base), digests(t, img)
			if len(l) != len(bl)+3 || !slices.Equal(l[:len(bl)], bl) {
				t.Fatalf("layers %v: want the base's %v then 3", l, bl)
			}
			_, entries := layerEntries(t, mustLayer(t, img, len(bl)))
			if _, ok := entries["etc/passwd"]; ok {
				t.Error("the runtime layer on a base holds /etc/passwd")
			}
			if _, ok := entries["usr/local/bin/berth"]; !ok {
				t.Error("the runtime layer on a base lacks berth")
			}
		})
	}
}

func mustLayer(t *testing.T, img v1.Image, i int) v1.Layer {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	return ls[i]
}

func TestDescribe(t *testing.T) {
	img := build(t, copyModel(t))
	s, err := Describe(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Layers) != 3 || s.Digest != digest(t, img) || s.Uncompressed < 2<<20 || s.Size <= 0 {
		t.Fatalf("summary %+v", s)
	}
	if !strings.Contains(s.Layers[1].CreatedBy, "weights.bin") {
		t.Errorf("layer 1 created by %q", s.Layers[1].CreatedBy)
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
