// Package berth is the gateway's "berth" provider: an llm/v1/embeddings
// endpoint whose model berth itself runs, in the gateway's process, through
// ONNX Runtime (flavors/onnx), with no upstream server.
//
// model.config:
//
//	model_uri:         an MLflow model directory with an "onnx" flavor (a
//	                   path, file:// URI) or a models:/NAME/VERSION|@ALIAS
//	                   URI (then registry_uri, or $MLFLOW_TRACKING_URI,
//	                   names the registry). Required.
//	registry_uri:      the tracking server for models:/ URIs.
//	output:            the model output to use. Default: the first output
//	                   of rank 2 ([batch, dim], a pooled embedding), else
//	                   the first of rank 3 ([batch, seq, dim]), mean-pooled
//	                   over the tokens the attention mask keeps.
//	max_input_tokens:  longer inputs are refused with 400. Default 512.
//	batch_size:        inputs run together in one model call. Default 32.
//	ort_lib:           the ONNX Runtime library, when the process has not
//	                   loaded one yet. Default: $BERTH_ORT_LIB, else the
//	                   cache that scripts/fetch-ort.sh fills.
//
// Tokens are UTF-8 bytes: token id = byte + 1, 0 is padding. The model
// takes int64 "input_ids" [batch, seq] and, when it has it, int64
// "attention_mask" [batch, seq] (1 for a token, 0 for padding). Usage
// counts these tokens: prompt_tokens = total_tokens = the bytes of all
// inputs. An input may also be a list of token ids (OpenAI's token-array
// input), used as given.
//
// A model is loaded once per process and shared by every endpoint (and
// every reloaded config) naming the same directory and output.
package berth

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/modeluri"
)

// Name is the provider's name in a gateway config.
const Name = "berth"

// Defaults of the model.config settings.
const (
	DefaultMaxInputTokens = 512
	DefaultBatchSize      = 32
	// maxInputs bounds the inputs of one request (OpenAI's limit).
	maxInputs = 2048
)

func init() {
	provider.Register(provider.Spec{Name: Name, New: New, RequiredFields: []string{"model_uri"},
		EndpointTypes: []string{deployments.TypeEmbeddings}})
}

// Provider answers embeddings queries with a model run in-process.
type Provider struct {
	provider.Unsupported
	m         *model
	name      string // model.name, echoed as the response's model
	maxTokens int
	batch     int
}

var _ provider.Provider = (*Provider)(nil)

// New loads (or finds loaded) the model an endpoint's config names.
func New(cfg provider.Config) (provider.Provider, error) {
	maxTokens, err := intSetting(cfg, "max_input_tokens", DefaultMaxInputTokens)
	if err != nil {
		return nil, err
	}
	batch, err := intSetting(cfg, "batch_size", DefaultBatchSize)
	if err != nil {
		return nil, err
	}
	if err := initRuntime(cfg.String("ort_lib")); err != nil {
		return nil, err
	}
	dir, err := localDir(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	m, err := load(dir, cfg.String("output"))
	if err != nil {
		return nil, err
	}
	name := cfg.Model
	if name == "" {
		name = filepath.Base(dir)
	}
	return &Provider{Unsupported: provider.Unsupported{Provider: Name}, m: m, name: name, maxTokens: maxTokens, batch: batch}, nil
}

func intSetting(cfg provider.Config, key string, def int) (int, error) {
	v, ok := cfg.Settings[key]
	if !ok || v == nil {
		return def, nil
	}
	n, ok := v.(int)
	if !ok || n <= 0 || n > 1<<20 {
		return 0, fmt.Errorf("%s %v is not a positive whole number", key, v)
	}
	return n, nil
}

// initRuntime loads ONNX Runtime once per process: from lib, else
// $BERTH_ORT_LIB, else the default cache path.
func initRuntime(lib string) error {
	if onnx.Initialized() && lib == "" {
		return nil
	}
	if lib == "" {
		lib = os.Getenv("BERTH_ORT_LIB")
	}
	if lib == "" {
		p, err := onnx.DefaultLibraryPath()
		if err != nil {
			return err
		}
		lib = p
	}
	if err := onnx.Init(lib); err != nil {
		return fmt.Errorf("the berth provider runs models in ONNX Runtime (give ort_lib, or run `make ort`): %w", err)
	}
	return nil
}

// localDir turns model_uri into a model directory on this machine.
func localDir(ctx context.Context, cfg provider.Config) (string, error) {
	uri := cfg.String("model_uri")
	switch {
	case uri == "":
		return "", fmt.Errorf("model_uri is empty")
	case modeluri.IsModelURI(uri):
		reg := cfg.String("registry_uri")
		if reg == "" {
			reg = os.Getenv("MLFLOW_TRACKING_URI")
		}
		if reg == "" {
			return "", fmt.Errorf("model_uri %s needs a registry: give registry_uri (or set MLFLOW_TRACKING_URI)", uri)
		}
		cache, err := modeluri.DefaultCacheDir()
		if err != nil {
			return "", err
		}
		r, err := modeluri.NewResolver(reg, cache)
		if err != nil {
			return "", fmt.Errorf("model_uri %s: %w", uri, err)
		}
		f, err := modeluri.Fetch(ctx, r, uri)
		if err != nil {
			return "", fmt.Errorf("model_uri %s: %w", uri, err)
		}
		return f.Dir, nil
	case strings.HasPrefix(uri, "file:"):
		u, err := url.Parse(uri)
		if err != nil || u.Path == "" {
			return "", fmt.Errorf("model_uri %s is not a file:// URI of a directory", uri)
		}
		uri = u.Path
	case strings.Contains(uri, "://"):
		return "", fmt.Errorf("model_uri %s: the berth provider loads a local directory, a file:// URI or a models:/ URI", uri)
	}
	return filepath.Abs(uri)
}

// model is a loaded embedding model, shared by the endpoints naming it.
type model struct {
	pred    flavors.Predictor
	output  string
	rank    int  // 2: pooled by the model; 3: pooled here
	mask    bool // the model takes attention_mask
	dim     int
	inNames []string
}

var (
	loadMu sync.Mutex
	loaded = map[string]*model{} // by directory and output
)

func load(dir, output string) (*model, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	key := dir + "\x00" + output
	if m, ok := loaded[key]; ok {
		return m, nil
	}
	l, err := flavors.Load(context.Background(), dir, flavors.LoadOptions{})
	if err != nil {
		return nil, err
	}
	m, err := inspect(l.Predictor, output)
	if err != nil {
		_ = l.Predictor.Close()
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	loaded[key] = m
	return m, nil
}

// inspect checks the model's inputs and picks its embedding output.
func inspect(p flavors.Predictor, output string) (*model, error) {
	m := &model{pred: p}
	for _, in := range p.Inputs() {
		switch {
		case in.Name == "input_ids" && in.DType == flavors.Int64 && len(in.Shape) == 2:
		case in.Name == "attention_mask" && in.DType == flavors.Int64 && len(in.Shape) == 2:
			m.mask = true
		default:
			return nil, fmt.Errorf("input %s (%s %v) is not int64 input_ids or attention_mask of shape [batch, seq]", in.Name, in.DType, in.Shape)
		}
		m.inNames = append(m.inNames, in.Name)
	}
	if len(m.inNames) == 0 || (m.mask && len(m.inNames) == 1) {
		return nil, fmt.Errorf("the model has no int64 input_ids input")
	}
	var pick *flavors.TensorInfo
	outs := p.Outputs()
	for i := range outs {
		o := &outs[i]
		if output != "" {
			if o.Name == output {
				pick = o
			}
			continue
		}
		if len(o.Shape) == 2 && (pick == nil || len(pick.Shape) == 3) {
			pick = o
		}
		if len(o.Shape) == 3 && pick == nil {
			pick = o
		}
	}
	switch {
	case pick == nil && output != "":
		return nil, fmt.Errorf("the model has no output %q", output)
	case pick == nil:
		return nil, fmt.Errorf("the model has no output of shape [batch, dim] or [batch, seq, dim]")
	case pick.DType != flavors.Float32 && pick.DType != flavors.Float64:
		return nil, fmt.Errorf("output %s is %s, not float32 or float64", pick.Name, pick.DType)
	case len(pick.Shape) != 2 && len(pick.Shape) != 3:
		return nil, fmt.Errorf("output %s has shape %v, not [batch, dim] or [batch, seq, dim]", pick.Name, pick.Shape)
	}
	m.output, m.rank = pick.Name, len(pick.Shape)
	if d := pick.Shape[len(pick.Shape)-1]; d > 0 {
		m.dim = int(d)
	}
	return m, nil
}

func badRequest(format string, a ...any) error {
	return &provider.Error{Provider: Name, Kind: provider.KindInvalidRequest, Message: fmt.Sprintf(format, a...)}
}

// tokens returns the request's inputs as token ids.
func (p *Provider) tokens(req *deployments.EmbeddingsRequest) ([][]int64, error) {
	if len(req.Input) == 0 {
		return nil, badRequest("input is required: a string or a list of strings")
	}
	var ids [][]int64
	if texts, err := req.Texts(); err == nil {
		ids = make([][]int64, len(texts))
		for i, t := range texts {
			if len(t) > p.maxTokens {
				return nil, badRequest("input %d has %d tokens, more than this model's limit of %d", i, len(t), p.maxTokens)
			}
			ids[i] = make([]int64, len(t))
			for j := 0; j < len(t); j++ {
				ids[i][j] = int64(t[j]) + 1
			}
		}
	} else if err := json.Unmarshal(req.Input, &ids); err != nil {
		var one []int64
		if json.Unmarshal(req.Input, &one) != nil {
			return nil, badRequest("input is neither a string, a list of strings nor a list of token ids")
		}
		ids = [][]int64{one}
	}
	if len(ids) == 0 {
		return nil, badRequest("input is an empty list")
	}
	if len(ids) > maxInputs {
		return nil, badRequest("input has %d items, more than %d", len(ids), maxInputs)
	}
	for i, row := range ids {
		if len(row) > p.maxTokens {
			return nil, badRequest("input %d has %d tokens, more than this model's limit of %d", i, len(row), p.maxTokens)
		}
		for _, id := range row {
			if id < 1 || id > 256 {
				return nil, badRequest("input %d has token id %d, outside this model's vocabulary (1 to 256)", i, id)
			}
		}
	}
	return ids, nil
}

// Embeddings runs the model over the inputs, batch_size at a time.
func (p *Provider) Embeddings(ctx context.Context, req *deployments.EmbeddingsRequest) (*deployments.EmbeddingsResponse, error) {
	ids, err := p.tokens(req)
	if err != nil {
		return nil, err
	}
	resp := &deployments.EmbeddingsResponse{Object: "list", Model: p.name, Data: make([]deployments.Embedding, 0, len(ids))}
	total := 0
	for start := 0; start < len(ids); start += p.batch {
		rows := ids[start:min(start+p.batch, len(ids))]
		vecs, err := p.m.embed(ctx, rows)
		if err != nil {
			return nil, err
		}
		for i, v := range vecs {
			resp.Data = append(resp.Data, deployments.Embedding{Object: "embedding", Embedding: v, Index: start + i})
			total += len(rows[i])
		}
	}
	resp.Usage = deployments.Usage{PromptTokens: &total, TotalTokens: &total}
	return resp, nil
}

// embed runs one batch: the rows padded to the longest.
func (m *model) embed(ctx context.Context, rows [][]int64) ([][]float64, error) {
	seq := 1 // a batch of empty inputs still has one (padding) column
	for _, r := range rows {
		seq = max(seq, len(r))
	}
	n := len(rows)
	ids := make([]int64, n*seq)
	mask := make([]int64, n*seq)
	for i, r := range rows {
		copy(ids[i*seq:], r)
		for j := range r {
			mask[i*seq+j] = 1
		}
	}
	shape := []int64{int64(n), int64(seq)}
	in := []*flavors.Tensor{{Name: "input_ids", DType: flavors.Int64, Shape: shape, Data: ids}}
	if m.mask {
		in = append(in, &flavors.Tensor{Name: "attention_mask", DType: flavors.Int64, Shape: shape, Data: mask})
	}
	out, err := m.pred.Predict(ctx, in, []string{m.output})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &provider.Error{Provider: Name, Kind: provider.KindBadResponse, Message: "the model failed", Err: err}
	}
	t := out[0]
	vals, err := floats(t)
	if err != nil {
		return nil, err
	}
	want := 2
	if m.rank == 3 {
		want = 3
	}
	if len(t.Shape) != want || t.Shape[0] != int64(n) || (want == 3 && t.Shape[1] != int64(seq)) {
		return nil, &provider.Error{Provider: Name, Kind: provider.KindBadResponse,
			Message: fmt.Sprintf("output %s has shape %v for %d inputs of %d tokens", m.output, t.Shape, n, seq)}
	}
	dim := int(t.Shape[want-1])
	res := make([][]float64, n)
	for i := range rows {
		v := make([]float64, dim)
		if want == 2 {
			copy(v, vals[i*dim:(i+1)*dim])
		} else {
			// mean over the row's own tokens
			cnt := len(rows[i])
			for j := range cnt {
				off := (i*seq + j) * dim
				for k := range dim {
					v[k] += vals[off+k]
				}
			}
			if cnt > 0 {
				for k := range v {
					v[k] /= float64(cnt)
				}
			}
		}
		res[i] = v
	}
	return res, nil
}

// floats returns a float output as float64s; a NaN or infinity (which JSON
// cannot carry) is the model's failure.
func floats(t *flavors.Tensor) ([]float64, error) {
	var out []float64
	switch d := t.Data.(type) {
	case []float32:
		out = make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
	case []float64:
		out = d
	default:
		return nil, &provider.Error{Provider: Name, Kind: provider.KindBadResponse, Message: fmt.Sprintf("output %s is %s, not float", t.Name, t.DType)}
	}
	for _, x := range out {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, &provider.Error{Provider: Name, Kind: provider.KindBadResponse, Message: fmt.Sprintf("output %s holds %v", t.Name, x)}
		}
	}
	return out, nil
}
