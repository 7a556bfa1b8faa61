package serve_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/serve"
)

// fakeResolver resolves every models:/ URI to version 1 of the iris
// fixture, and its watch reports version 2 once.
type fakeResolver struct{ watched chan string }

func (fakeResolver) Resolve(_ context.Context, u modeluri.URI) (*modeluri.Version, error) {
	if u.Name != "iris" {
		return nil, errors.New("no such model")
	}
	return &modeluri.Version{Name: u.Name, Version: "1"}, nil
}

func (fakeResolver) Download(context.Context, *modeluri.Version) (string, error) {
	return fixture("iris_logreg"), nil
}

func (r fakeResolver) Watch(ctx context.Context, u modeluri.URI, _ time.Duration, current string,
	onChange func(context.Context, *modeluri.Version) error, _ func(error)) {
	if err := onChange(ctx, &modeluri.Version{Name: u.Name, Version: "2"}); err == nil {
		r.watched <- current
	}
}

// TestServeModels loads a directory and a models:/ alias through the
// resolver, is ready once both are in, and swaps in the version the watch
// reports.
func TestServeModels(t *testing.T) {
	ortest.Init(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := serve.New()
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r := fakeResolver{watched: make(chan string, 1)}
	models, err := serve.ParseModelArgs([]string{"models:/iris@champion", "tree=" + fixture("iris_tree")})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- s.ServeModels(ctx, ln, models, serve.Loading{Poll: time.Millisecond, Started: time.Now(),
			Resolver: func() (serve.Resolver, error) { return r, nil }})
	}()
	select {
	case was := <-r.watched:
		if was != "1" {
			t.Errorf("watched from version %q, want 1", was)
		}
	case err := <-done:
		t.Fatalf("ServeModels returned %v before the watch reported", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the watch never swapped a version in")
	}
	for deadline := time.Now().Add(30 * time.Second); !s.Ready(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
	}
	got := map[string]*serve.Model{}
	for _, m := range s.Models() {
		got[m.Name] = m
	}
	if m := got["iris"]; m == nil || m.Version != "2" || m.Source != "models:/iris@champion" {
		t.Errorf("iris = %+v, want version 2 from models:/iris@champion", m)
	}
	if m := got["tree"]; m == nil || m.Version != "1" {
		t.Errorf("tree = %+v, want version 1 of the directory", m)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeModels after cancel: %v", err)
	}
}

// TestServeModelsResolverFails: a models:/ model that cannot be resolved
// stops the server before it was ready, with the resolver's error.
func TestServeModelsResolverFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := serve.New()
	defer s.Close()
	noRegistry := errors.New("a models:/ URI needs a registry")
	err = s.ServeModels(context.Background(), ln, []serve.ModelArg{{Name: "iris", Source: "models:/iris/1"}},
		serve.Loading{Resolver: func() (serve.Resolver, error) { return nil, noRegistry }})
	if !errors.Is(err, noRegistry) || s.Ready() {
		t.Errorf("ServeModels = %v, ready %v; want the resolver's error, not ready", err, s.Ready())
	}
}
