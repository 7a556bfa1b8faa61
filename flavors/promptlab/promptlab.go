// Package promptlab is the flavor of MLflow's promptlab models: the model
// directory a prompt lab run saves (MLmodel's python_function flavor with
// loader_module mlflow.promptlab and a parameters.yaml; package prompt).
// Its predictor fills the prompt template from each input row and sends
// it to the run's gateway endpoint, through api/deployments' client, as
// MLflow's promptlab pyfunc does: a chat endpoint gets one user message, a
// completions endpoint the prompt; the output is the answer's text.
//
// The gateway is MLFLOW_DEPLOYMENTS_TARGET, as for MLflow's pyfunc, and
// MLFLOW_DEPLOYMENTS_TOKEN, when set, is sent as its bearer token.
//
// Import it through flavors/builtin.
package promptlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/prompt"
)

func init() { flavors.Register(Flavor{}) }

// The environment variables that name the gateway.
const (
	TargetEnv = "MLFLOW_DEPLOYMENTS_TARGET"
	TokenEnv  = "MLFLOW_DEPLOYMENTS_TOKEN"
)

// maxConcurrentRows bounds the gateway calls one Predict makes at once.
const maxConcurrentRows = 8

// Flavor loads promptlab models. Client, when set, is the gateway client
// (tests); otherwise one is made from the environment at Load.
type Flavor struct {
	Client *deployments.Client
}

// Name is the MLmodel flavor a promptlab model is saved under.
func (Flavor) Name() string { return "python_function" }

// ErrNotPromptlab is returned for python_function models of another
// loader: berth runs no Python.
var ErrNotPromptlab = errors.New("only promptlab python_function models (loader_module mlflow.promptlab) can be served: berth runs no Python")

// Load reads the model's parameters.yaml and prepares the gateway client.
func (f Flavor) Load(ctx context.Context, m *flavors.Model, opts flavors.LoadOptions) (flavors.Predictor, error) {
	conf := m.MLmodel.Flavors["python_function"]
	if lm, _ := conf["loader_module"].(string); lm != prompt.LoaderModule && lm != "mlflow._promptlab" {
		found := make([]string, 0, len(m.MLmodel.Flavors))
		for n := range m.MLmodel.Flavors {
			found = append(found, n)
		}
		sort.Strings(found)
		unsupported := &flavors.UnsupportedFlavorError{Dir: m.Dir, Found: found, Supported: flavors.Registered()}
		return nil, fmt.Errorf("%w; its loader_module is %q, and %w", unsupported, lm, ErrNotPromptlab)
	}
	paramsPath, _ := conf["parameters_path"].(string)
	if paramsPath == "" {
		paramsPath = prompt.ParametersFile
	}
	p, err := m.Path(paramsPath)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("promptlab model: %w", err)
	}
	var order []string
	if m.MLmodel.Signature != nil {
		order = inputNames(m.MLmodel.Signature.Inputs)
	}
	saved, err := prompt.ReadParameters(data, order)
	if err != nil {
		return nil, err
	}
	client := f.Client
	if client == nil {
		target := os.Getenv(TargetEnv)
		if target == "" {
			return nil, fmt.Errorf("a promptlab model calls a gateway: set %s to its URL (berth gateway or MLflow's deployments server)", TargetEnv)
		}
		client = &deployments.Client{BaseURL: strings.TrimSuffix(target, "/"), Token: os.Getenv(TokenEnv), HTTPClient: http.DefaultClient}
	}
	params, err := requestParams(saved.ModelParameters)
	if err != nil {
		return nil, err
	}
	opts.Log().Info("promptlab model loaded", "endpoint", saved.Route, "inputs", saved.PromptParameters)
	return &Predictor{saved: saved, client: client, params: params}, nil
}

// inputNames are the column names of a signature's inputs, in order.
func inputNames(s *flavors.Schema) []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.Columns))
	for _, c := range s.Columns {
		if c.Name != "" {
			out = append(out, c.Name)
		}
	}
	return out
}

// params are the model parameters in the gateway's types: MLflow saves
// them as Python's str() of what the UI sent ("0.5", "64", "['END']").
type params struct {
	temperature *float64
	maxTokens   *int
	n           *int
	stop        []string
	extra       deployments.Extra
}

func requestParams(m map[string]string) (params, error) {
	var p params
	for k, v := range m {
		switch k {
		case "temperature":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return p, fmt.Errorf("promptlab model: temperature %q is not a number", v)
			}
			p.temperature = &f
		case "max_tokens", "n":
			i, err := strconv.Atoi(v)
			if err != nil {
				return p, fmt.Errorf("promptlab model: %s %q is not an integer", k, v)
			}
			if k == "n" {
				p.n = &i
			} else {
				p.maxTokens = &i
			}
		case "stop":
			p.stop = pyStringList(v)
		default:
			if p.extra == nil {
				p.extra = deployments.Extra{}
			}
			raw, _ := json.Marshal(v)
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				raw, _ = json.Marshal(f)
			}
			p.extra[k] = raw
		}
	}
	return p, nil
}

// pyStringList reads Python's repr of a list of strings (['a', "b's"]); any
// other text is one stop sequence.
func pyStringList(s string) []string {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "[") || !strings.HasSuffix(t, "]") {
		return []string{s}
	}
	var out []string
	rest := strings.TrimSpace(t[1 : len(t)-1])
	for rest != "" {
		if rest[0] != '\'' && rest[0] != '"' {
			return []string{s}
		}
		q := rest[0]
		var b strings.Builder
		i := 1
		for ; i < len(rest) && rest[i] != q; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				switch rest[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				default:
					b.WriteByte(rest[i])
				}
				continue
			}
			b.WriteByte(rest[i])
		}
		if i >= len(rest) {
			return []string{s}
		}
		out = append(out, b.String())
		rest = strings.TrimSpace(rest[i+1:])
		rest = strings.TrimSpace(strings.TrimPrefix(rest, ","))
	}
	return out
}

// Predictor fills the template per row and asks the gateway.
type Predictor struct {
	saved  *prompt.Saved
	client *deployments.Client
	params params

	mu           sync.Mutex
	endpointType string // learnt from the gateway at the first Predict
}

// Inputs are the template's parameters: one string column each.
func (p *Predictor) Inputs() []flavors.TensorInfo {
	out := make([]flavors.TensorInfo, len(p.saved.PromptParameters))
	for i, n := range p.saved.PromptParameters {
		out[i] = flavors.TensorInfo{Name: n, DType: flavors.String, Shape: []int64{-1}}
	}
	return out
}

// Outputs is the one string column "output".
func (p *Predictor) Outputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "output", DType: flavors.String, Shape: []int64{-1}}}
}

// Close releases nothing.
func (p *Predictor) Close() error { return nil }

func (p *Predictor) kind(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.endpointType != "" {
		return p.endpointType, nil
	}
	ep, err := p.client.GetEndpoint(ctx, p.saved.Route)
	if err != nil {
		return "", fmt.Errorf("promptlab model: gateway endpoint %q: %w", p.saved.Route, err)
	}
	switch ep.EndpointType {
	case "llm/v1/chat", "llm/v1/completions":
		p.endpointType = ep.EndpointType
		return ep.EndpointType, nil
	}
	return "", fmt.Errorf("promptlab model: endpoint %q is %s; a prompt needs llm/v1/chat or llm/v1/completions", p.saved.Route, ep.EndpointType)
}

// Predict renders each row's prompt and returns the answers' texts.
func (p *Predictor) Predict(ctx context.Context, inputs []*flavors.Tensor, outputs []string) ([]*flavors.Tensor, error) {
	for _, o := range outputs {
		if o != "output" {
			return nil, fmt.Errorf("promptlab model: no output %q (it has \"output\")", o)
		}
	}
	cols := map[string][]string{}
	rows := -1
	for _, in := range inputs {
		data, ok := in.Data.([]string)
		if !ok {
			return nil, fmt.Errorf("promptlab model: input %q must be strings", in.Name)
		}
		if rows >= 0 && len(data) != rows {
			return nil, fmt.Errorf("promptlab model: input %q has %d rows, others %d", in.Name, len(data), rows)
		}
		rows = len(data)
		cols[in.Name] = data
	}
	for _, n := range p.saved.PromptParameters {
		if _, ok := cols[n]; !ok {
			return nil, fmt.Errorf("promptlab model: missing input %q (inputs: %s)", n, strings.Join(p.saved.PromptParameters, ", "))
		}
	}
	if rows < 0 {
		rows = 0
	}
	kind, err := p.kind(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, rows)
	errs := make([]error, rows)
	sem := make(chan struct{}, maxConcurrentRows)
	var wg sync.WaitGroup
	for i := range rows {
		values := make(map[string]string, len(cols))
		for n, c := range cols {
			values[n] = c[i]
		}
		text, err := p.saved.Template.Render(values)
		if err != nil {
			return nil, fmt.Errorf("promptlab model: row %d: %w", i, err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = p.ask(ctx, kind, text)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("promptlab model: row %d: %w", i, err)
		}
	}
	return []*flavors.Tensor{{Name: "output", DType: flavors.String, Shape: []int64{int64(rows)}, Data: out}}, nil
}

func (p *Predictor) ask(ctx context.Context, kind, text string) (string, error) {
	if kind == "llm/v1/completions" {
		resp, err := p.client.Completions(ctx, p.saved.Route, &deployments.CompletionsRequest{
			Prompt: text, Temperature: p.params.temperature, N: p.params.n, Stop: p.params.stop,
			MaxTokens: p.params.maxTokens, Extra: p.params.extra,
		})
		if err != nil {
			return "", err
		}
		if len(resp.Choices) == 0 {
			return "", errors.New("the gateway answered no choices")
		}
		return resp.Choices[0].Text, nil
	}
	resp, err := p.client.Chat(ctx, p.saved.Route, &deployments.ChatRequest{
		Messages: []deployments.Message{deployments.TextMessage("user", text)}, Temperature: p.params.temperature,
		N: p.params.n, Stop: p.params.stop, MaxTokens: p.params.maxTokens, Extra: p.params.extra,
	})
	if err != nil {
		return "", err
	}
	if len(resp.Choices) == 0 || resp.Choices[0].Message.Content == nil {
		return "", errors.New("the gateway answered no message")
	}
	return *resp.Choices[0].Message.Content, nil
}
