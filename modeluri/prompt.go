package modeluri

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/prompt"
)

// MLflow 3's prompt registry tags (mlflow/prompt/constants.py): a prompt
// version is a model version holding its template in PromptTextTag.
const (
	PromptTag            = "mlflow.prompt.is_prompt"
	PromptTextTag        = "mlflow.prompt.text"
	PromptTypeTag        = "_mlflow_prompt_type"
	PromptModelConfigTag = "_mlflow_prompt_model_config"
)

// promptMLflowVersion is the MLflow version a prompt version's promptlab
// directory pins (requirements.txt): the MLflow 3 whose prompt registry
// berth follows.
const promptMLflowVersion = "3.6.0"

// PromptVersion is a registered prompt version: its template and the
// model settings MLflow 3 keeps with it.
type PromptVersion struct {
	Template string
	// Endpoint is model_config's model_name, the gateway endpoint unless
	// the resolver is given one ([WithPromptEndpoint]); "" when unset.
	Endpoint string
	// Parameters are model_config's inference settings as a promptlab
	// model keeps them (Python's str() of each value): temperature,
	// max_tokens, stop (from stop_sequences), top_p, top_k,
	// frequency_penalty, presence_penalty and extra_params' scalars.
	Parameters []prompt.Param
	Created    time.Time
}

// WithPromptEndpoint names the gateway endpoint a prompts:/ version is
// sent to. Default: the version's model_config model_name; a version with
// neither is refused when downloaded.
func WithPromptEndpoint(name string) Option { return func(r *Resolver) { r.endpoint = name } }

// promptOf reads a prompt version from a model version's tags.
func promptOf(mv mlflowrest.ModelVersion) (*PromptVersion, error) {
	tags := map[string]string{}
	for _, t := range mv.Tags {
		tags[t.Key] = t.Value
	}
	text, ok := tags[PromptTextTag]
	if !ok {
		return nil, fmt.Errorf("%s version %s is not a prompt version (no %s tag): serve a registered model as models:/", mv.Name, mv.Version, PromptTextTag)
	}
	if typ := tags[PromptTypeTag]; typ != "" && typ != "text" {
		return nil, fmt.Errorf("%s version %s is a %s prompt: only text prompts (one template) can be served", mv.Name, mv.Version, typ)
	}
	if _, err := prompt.Parse(text); err != nil {
		return nil, fmt.Errorf("%s version %s: its template: %w", mv.Name, mv.Version, err)
	}
	pv := &PromptVersion{Template: text, Created: time.UnixMilli(mv.CreationTimestamp).UTC()}
	if raw := tags[PromptModelConfigTag]; raw != "" {
		var err error
		if pv.Endpoint, pv.Parameters, err = readModelConfig(raw); err != nil {
			return nil, fmt.Errorf("%s version %s: %s: %w", mv.Name, mv.Version, PromptModelConfigTag, err)
		}
	}
	return pv, nil
}

// readModelConfig reads MLflow 3's PromptModelConfig JSON into the
// endpoint and promptlab model parameters.
func readModelConfig(raw string) (string, []prompt.Param, error) {
	var mc map[string]any
	if err := json.Unmarshal([]byte(raw), &mc); err != nil {
		return "", nil, fmt.Errorf("not a JSON object: %w", err)
	}
	endpoint, _ := mc["model_name"].(string)
	var ps []prompt.Param
	add := func(k string, v any) error {
		switch v := v.(type) {
		case nil:
			return nil
		case float64:
			ps = append(ps, prompt.Param{Key: k, Value: pyFloat(v)})
		case string:
			ps = append(ps, prompt.Param{Key: k, Value: v})
		case bool:
			ps = append(ps, prompt.Param{Key: k, Value: map[bool]string{true: "True", false: "False"}[v]})
		default:
			return fmt.Errorf("%s is not a number or a string", k)
		}
		return nil
	}
	for _, k := range []string{"temperature", "max_tokens", "top_p", "top_k", "frequency_penalty", "presence_penalty"} {
		if err := add(k, mc[k]); err != nil {
			return "", nil, err
		}
	}
	if s, ok := mc["stop_sequences"]; ok && s != nil {
		list, ok := s.([]any)
		if !ok {
			return "", nil, errors.New("stop_sequences is not a list")
		}
		quoted := make([]string, len(list))
		for i, x := range list {
			str, ok := x.(string)
			if !ok {
				return "", nil, errors.New("stop_sequences holds a value that is not a string")
			}
			quoted[i] = pyQuote(str)
		}
		ps = append(ps, prompt.Param{Key: "stop", Value: "[" + strings.Join(quoted, ", ") + "]"})
	}
	if x, ok := mc["extra_params"].(map[string]any); ok {
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := add(k, x[k]); err != nil {
				return "", nil, fmt.Errorf("extra_params: %w", err)
			}
		}
	}
	return endpoint, ps, nil
}

// pyFloat writes an integral number as an integer (max_tokens: 64) and
// others as Go's shortest form (temperature: 0.5).
func pyFloat(f float64) string {
	if f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// pyQuote writes s as Python's repr of a string does (single quotes,
// backslash escapes), which the promptlab flavor reads back.
func pyQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\t", `\t`, "\r", `\r`)
	return "'" + r.Replace(s) + "'"
}

// writePrompt writes v's prompt as a promptlab model directory (MLflow
// 2.17's layout, package prompt) under the cache, named by the digest of
// its files, and returns it. The files are the same for the same template,
// settings and endpoint, so a version is written once.
func (r *Resolver) writePrompt(v *Version) (string, error) {
	pv := v.Prompt
	endpoint := r.endpoint
	if endpoint == "" {
		endpoint = pv.Endpoint
	}
	if endpoint == "" {
		return "", fmt.Errorf("prompt %s version %s names no gateway endpoint: give one (--prompt-endpoint), or register the version with model_config's model_name", v.Name, v.Version)
	}
	t, err := prompt.Parse(pv.Template)
	if err != nil {
		return "", fmt.Errorf("prompt %s version %s: %w", v.Name, v.Version, err)
	}
	vars := t.Variables()
	params := make([]prompt.Param, len(vars))
	for i, n := range vars {
		params[i] = prompt.Param{Key: n, Value: ""}
	}
	id := sha256.Sum256([]byte(r.registry + "\n" + v.Name + "\n" + v.Version))
	m := &prompt.Model{Template: pv.Template, PromptParameters: params, ModelParameters: pv.Parameters,
		Route: endpoint, MLflowVersion: promptMLflowVersion, RunID: v.RunID, ModelUUID: hex.EncodeToString(id[:16]),
		Created: pv.Created}
	files := m.Files()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	dir := filepath.Join(r.cacheDir, "prompts", hex.EncodeToString(h.Sum(nil)))
	if _, err := os.Stat(filepath.Join(dir, prompt.MLmodelFile)); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(tmp, n), files[n], 0o644); err != nil {
			return "", fmt.Errorf("writing prompt %s version %s: %w", v.Name, v.Version, err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process wrote the same directory first: its files are
		// these.
		if _, serr := os.Stat(filepath.Join(dir, prompt.MLmodelFile)); serr == nil {
			return dir, nil
		}
		return "", fmt.Errorf("writing prompt %s version %s: %w", v.Name, v.Version, err)
	}
	return dir, nil
}
