package modelpack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/berthml/berth/flavors"
)

// mlflowTimeLayout is how MLflow writes utc_time_created.
const mlflowTimeLayout = "2006-01-02 15:04:05.999999"

// Build reads the MLflow model directory dir and returns it as a ModelPack
// artifact: one uncompressed layer per regular file, typed as the package
// documentation describes, and a config blob with descriptor, config and
// modelfs. Files are hashed here but read again when the image is written,
// so dir must not change until then. Build refuses symbolic links and other
// non-regular files in dir.
//
// Options: WithCreated, WithName, WithVersion, WithWeightThreshold,
// WithProgress.
func Build(dir string, opts ...Option) (v1.Image, error) {
	o := makeOptions(opts)
	m, err := flavors.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("reading model directory %s: %w", dir, err)
	}
	files, err := listFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("listing model directory %s: %w", dir, err)
	}
	weights, err := weightFiles(dir, m.MLmodel)
	if err != nil {
		return nil, err
	}

	cfg := Model{ModelFS: ModelFS{Type: "layers", DiffIDs: []string{}}}
	cfg.Descriptor.CreatedAt = o.created
	if cfg.Descriptor.CreatedAt == nil && m.MLmodel.UTCTimeCreated != "" {
		t, err := time.ParseInLocation(mlflowTimeLayout, m.MLmodel.UTCTimeCreated, time.UTC)
		if err != nil {
			return nil, fmt.Errorf("parsing utc_time_created %q of %s: %w", m.MLmodel.UTCTimeCreated, dir, err)
		}
		cfg.Descriptor.CreatedAt = &t
	}
	mtime := time.Unix(0, 0).UTC()
	if cfg.Descriptor.CreatedAt != nil {
		mtime = *cfg.Descriptor.CreatedAt
	}

	var total, done int64
	for _, f := range files {
		total += f.size
	}
	a := &artifact{layers: map[v1.Hash]*fileLayer{}}
	mf := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  ArtifactType,
		Layers:        []v1.Descriptor{},
	}
	for _, f := range files {
		mt := classify(f.rel, f.size >= o.weightThreshold || isWeight(weights, f.rel))
		l, err := newFileLayer(filepath.Join(dir, filepath.FromSlash(f.rel)), mt)
		if err != nil {
			return nil, fmt.Errorf("adding %s: %w", f.rel, err)
		}
		done += l.size
		o.report(Progress{Path: f.rel, Complete: done, Total: total})
		mode := uint32(0o644)
		if f.mode&0o111 != 0 {
			mode = 0o755
		}
		meta, err := json.Marshal(FileMetadata{
			Name: path.Base(f.rel), Mode: mode, Size: l.size, ModTime: mtime, Typeflag: '0',
		})
		if err != nil {
			return nil, fmt.Errorf("encoding metadata of %s: %w", f.rel, err)
		}
		a.layers[l.digest] = l
		mf.Layers = append(mf.Layers, v1.Descriptor{
			MediaType: mt,
			Size:      l.size,
			Digest:    l.digest,
			Annotations: map[string]string{
				AnnotationFilepath:     f.rel,
				AnnotationFileMetadata: string(meta),
			},
		})
		cfg.ModelFS.DiffIDs = append(cfg.ModelFS.DiffIDs, l.digest.String())
	}

	cfg.Descriptor.Name = o.name
	if cfg.Descriptor.Name == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", dir, err)
		}
		cfg.Descriptor.Name = filepath.Base(abs)
	}
	cfg.Descriptor.Version = o.version
	cfg.Config.Format = format(m.MLmodel)

	if a.config, err = json.Marshal(cfg); err != nil {
		return nil, fmt.Errorf("encoding model config: %w", err)
	}
	mf.Config = v1.Descriptor{MediaType: MediaTypeConfig, Size: int64(len(a.config))}
	if mf.Config.Digest, _, err = v1.SHA256(bytes.NewReader(a.config)); err != nil {
		return nil, err
	}
	if a.manifest, err = json.Marshal(mf); err != nil {
		return nil, fmt.Errorf("encoding manifest: %w", err)
	}
	return partial.CompressedToImage(a)
}

type fileInfo struct {
	rel  string // slash-separated, relative to the model directory
	size int64
	mode fs.FileMode
}

// listFiles returns the regular files under dir in lexical order.
func listFiles(dir string) ([]fileInfo, error) {
	var files []fileInfo
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file (%s); berth packs regular files only", rel, d.Type())
		}
		if err := ValidatePath(rel); err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, fileInfo{rel: rel, size: info.Size(), mode: info.Mode()})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	return files, err
}

// flavorDataKeys are the keys under which MLflow flavors name their weight
// file or directory.
var flavorDataKeys = []string{"data", "pickled_model", "model_data", "saved_model_dir", "model_path"}

// weightExts are file extensions that hold weights whatever their size.
var weightExts = map[string]bool{
	".onnx": true, ".ort": true, ".bin": true, ".data": true, ".pb": true, ".pkl": true, ".pickle": true,
	".joblib": true, ".pt": true, ".pth": true, ".safetensors": true, ".gguf": true, ".h5": true,
	".keras": true, ".npy": true, ".npz": true, ".ubj": true, ".cbm": true,
}

// weightFiles returns the slash-separated paths, relative to dir, that the
// MLmodel's flavors name as their data, and the ONNX external-data files
// those point at. A named directory stands for everything under it.
func weightFiles(dir string, mm *flavors.MLmodel) (map[string]bool, error) {
	w := map[string]bool{}
	for _, conf := range mm.Flavors {
		for _, k := range flavorDataKeys {
			s, ok := conf[k].(string)
			if !ok || s == "" {
				continue
			}
			rel := path.Clean(filepath.ToSlash(s))
			if ValidatePath(rel) != nil {
				continue // flavors.Open's loader reports it when the model is served
			}
			w[rel] = true
			if !strings.HasSuffix(rel, ".onnx") {
				continue
			}
			locs, err := externalDataFiles(filepath.Join(dir, filepath.FromSlash(rel)))
			if err != nil {
				return nil, err
			}
			for _, loc := range locs {
				if p := path.Join(path.Dir(rel), loc); ValidatePath(p) == nil {
					w[p] = true
				}
			}
		}
	}
	return w, nil
}

// isWeight says whether rel, or a directory above it, is in weights.
func isWeight(weights map[string]bool, rel string) bool {
	for p := rel; p != "."; p = path.Dir(p) {
		if weights[p] {
			return true
		}
	}
	return false
}

// classify picks the layer media type of the file rel.
func classify(rel string, weight bool) types.MediaType {
	base := path.Base(rel)
	lower := strings.ToLower(base)
	ext := path.Ext(lower)
	switch {
	case weight || weightExts[ext]:
		return MediaTypeWeightRaw
	case rel == "MLmodel":
		return MediaTypeWeightConfigRaw
	case rel == "conda.yaml" || rel == "python_env.yaml" || strings.HasPrefix(lower, "requirements") && ext == ".txt",
		ext == ".py", strings.HasPrefix(rel, "code/"):
		return MediaTypeCodeRaw
	case strings.HasPrefix(lower, "readme"), strings.HasPrefix(lower, "license"), ext == ".md",
		rel == "input_example.json", rel == "serving_input_example.json":
		return MediaTypeDocRaw
	}
	return MediaTypeWeightConfigRaw
}

// format is config.format: "onnx" for an ONNX model, else the first
// flavor other than python_function.
func format(mm *flavors.MLmodel) string {
	if _, ok := mm.Flavors["onnx"]; ok {
		return "onnx"
	}
	names := make([]string, 0, len(mm.Flavors))
	for n := range mm.Flavors {
		if n != "python_function" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) > 0 {
		return names[0]
	}
	return ""
}
