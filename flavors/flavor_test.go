package flavors_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/berthml/berth/flavors"
)

// fakeFlavor is a hand-written flavor that loads any model whose config
// does not ask it to fail.
type fakeFlavor struct{ name string }

func (f fakeFlavor) Name() string { return f.name }

func (f fakeFlavor) Load(_ context.Context, m *flavors.Model, _ flavors.LoadOptions) (flavors.Predictor, error) {
	conf := m.MLmodel.Flavors[f.name]
	if msg, ok := conf["fail"].(string); ok {
		return nil, errors.New(msg)
	}
	return &fakePredictor{conf: conf}, nil
}

type fakePredictor struct{ conf map[string]any }

func (p *fakePredictor) Inputs() []flavors.TensorInfo  { return nil }
func (p *fakePredictor) Outputs() []flavors.TensorInfo { return nil }
func (p *fakePredictor) Close() error                  { return nil }
func (p *fakePredictor) Predict(context.Context, []*flavors.Tensor, []string) ([]*flavors.Tensor, error) {
	return nil, nil
}

var _ flavors.Flavor = fakeFlavor{}

const fakeName = "berth_test_fake"

// Registered once per test binary, as a flavor package's init would.
func init() { flavors.Register(fakeFlavor{name: fakeName}) }

// writeModel writes an MLmodel file into a new directory and returns it.
func writeModel(t *testing.T, mlmodel string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "MLmodel"), []byte(mlmodel), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRegisterPanicsOnBadNames(t *testing.T) {
	for _, name := range []string{fakeName, ""} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			flavors.Register(fakeFlavor{name: name})
		})
	}
}

func TestLookupAndRegistered(t *testing.T) {
	f, ok := flavors.Lookup(fakeName)
	if !ok || f.Name() != fakeName {
		t.Errorf("Lookup(%q) = %v, %v", fakeName, f, ok)
	}
	if _, ok := flavors.Lookup("no_such_flavor"); ok {
		t.Error("Lookup found an unregistered flavor")
	}
	names := flavors.Registered()
	if !slices.Contains(names, fakeName) || !slices.IsSorted(names) {
		t.Errorf("Registered() = %q, want it sorted and holding %q", names, fakeName)
	}
}

func TestLoadPicksRegisteredFlavor(t *testing.T) {
	dir := writeModel(t, "flavors:\n  "+fakeName+":\n    data: model.bin\n  python_function:\n    loader_module: x\n")
	l, err := flavors.Load(context.Background(), dir, flavors.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Flavor != fakeName || l.Dir != dir {
		t.Errorf("loaded flavor %q from %q", l.Flavor, l.Dir)
	}
	p, ok := l.Predictor.(*fakePredictor)
	if !ok || !reflect.DeepEqual(p.conf, map[string]any{"data": "model.bin"}) {
		t.Errorf("predictor %#v did not get the flavor config", l.Predictor)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Run("flavor fails", func(t *testing.T) {
		dir := writeModel(t, "flavors:\n  "+fakeName+":\n    fail: weights are corrupt\n")
		_, err := flavors.Load(context.Background(), dir, flavors.LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), "weights are corrupt") || !strings.Contains(err.Error(), dir) {
			t.Errorf("err = %v, want the flavor's error and the directory", err)
		}
	})
	t.Run("no MLmodel", func(t *testing.T) {
		_, err := flavors.Load(context.Background(), t.TempDir(), flavors.LoadOptions{})
		if !errors.Is(err, flavors.ErrNoMLmodel) {
			t.Errorf("err = %v, want ErrNoMLmodel", err)
		}
	})
	t.Run("malformed MLmodel", func(t *testing.T) {
		_, err := flavors.Load(context.Background(), writeModel(t, "flavors: [x]\n"), flavors.LoadOptions{})
		var fe *flavors.FieldError
		if !errors.As(err, &fe) || fe.Field != "flavors" {
			t.Errorf("err = %v, want a FieldError for flavors", err)
		}
	})
	t.Run("unsupported flavors", func(t *testing.T) {
		dir := writeModel(t, "flavors:\n  sklearn:\n    pickled_model: model.pkl\n  python_function:\n    loader_module: mlflow.sklearn\n")
		_, err := flavors.Load(context.Background(), dir, flavors.LoadOptions{})
		var ue *flavors.UnsupportedFlavorError
		if !errors.As(err, &ue) {
			t.Fatalf("err = %v, want an UnsupportedFlavorError", err)
		}
		if !reflect.DeepEqual(ue.Found, []string{"python_function", "sklearn"}) {
			t.Errorf("Found = %q", ue.Found)
		}
		msg := err.Error()
		for _, want := range []string{dir, "[python_function, sklearn]", fakeName, "ONNX"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q does not mention %q", msg, want)
			}
		}
	})
	t.Run("no flavors", func(t *testing.T) {
		_, err := flavors.Load(context.Background(), writeModel(t, "mlflow_version: 2.17.2\n"), flavors.LoadOptions{})
		var ue *flavors.UnsupportedFlavorError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "[none]") {
			t.Errorf("err = %v, want an UnsupportedFlavorError listing none", err)
		}
	})
}

func TestModelPath(t *testing.T) {
	m := &flavors.Model{Dir: filepath.FromSlash("/models/m")}
	tests := []struct {
		rel     string
		want    string
		wantErr bool
	}{
		{rel: "model.onnx", want: filepath.FromSlash("/models/m/model.onnx")},
		{rel: "data/w.bin", want: filepath.FromSlash("/models/m/data/w.bin")},
		{rel: "a/../b", want: filepath.FromSlash("/models/m/b")},
		{rel: "..x", want: filepath.FromSlash("/models/m/..x")},
		{rel: "../x", wantErr: true},
		{rel: "a/../../x", wantErr: true},
		{rel: "..", wantErr: true},
		{rel: "/etc/passwd", wantErr: true},
		{rel: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			got, err := m.Path(tt.rel)
			if tt.wantErr {
				if err == nil {
					t.Errorf("Path(%q) = %q, want an error", tt.rel, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Path(%q) = %q, %v; want %q", tt.rel, got, err, tt.want)
			}
		})
	}
}
