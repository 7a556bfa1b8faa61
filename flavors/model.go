package flavors

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Model is an MLflow model directory that has been read.
type Model struct {
	Dir     string   // the directory, as given to Load
	MLmodel *MLmodel // the parsed MLmodel file
}

// Path joins rel, a path taken from the MLmodel file, to the model directory.
// It refuses paths that would leave the directory.
func (m *Model) Path(rel string) (string, error) {
	if rel == "" || filepath.IsAbs(rel) {
		return "", fmt.Errorf("model file path %q must be relative to the model directory", rel)
	}
	clean := filepath.Clean(filepath.FromSlash(rel))
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("model file path %q leaves the model directory", rel)
	}
	return filepath.Join(m.Dir, clean), nil
}

// Loaded is a model directory together with a running predictor.
type Loaded struct {
	*Model
	Flavor    string // the flavor that loaded it
	Predictor Predictor
}

// Open reads the MLmodel file of the model directory dir.
func Open(dir string) (*Model, error) {
	mm, err := ReadMLmodelFile(filepath.Join(dir, "MLmodel"))
	if err != nil {
		return nil, err
	}
	return &Model{Dir: dir, MLmodel: mm}, nil
}

// Load reads the model directory dir and loads it with the first of its
// flavors that is registered. A model whose flavors are all unknown to
// berth gets an *UnsupportedFlavorError.
func Load(ctx context.Context, dir string, opts LoadOptions) (*Loaded, error) {
	m, err := Open(dir)
	if err != nil {
		return nil, err
	}
	return LoadModel(ctx, m, opts)
}

// LoadModel loads an already opened model directory; see Load.
func LoadModel(ctx context.Context, m *Model, opts LoadOptions) (*Loaded, error) {
	names := make([]string, 0, len(m.MLmodel.Flavors))
	for n := range m.MLmodel.Flavors {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, ok := Lookup(n)
		if !ok {
			continue
		}
		p, err := f.Load(ctx, m, opts)
		if err != nil {
			return nil, fmt.Errorf("loading %s model from %s: %w", n, m.Dir, err)
		}
		return &Loaded{Model: m, Flavor: n, Predictor: p}, nil
	}
	return nil, &UnsupportedFlavorError{Dir: m.Dir, Found: names, Supported: Registered()}
}
