package config_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/gateway/config"
	_ "github.com/berthml/berth/gateway/provider/openai"
)

const conformance = "../../testdata/conformance/mlflow-deployments/"

func env(vars map[string]string) config.Option {
	return config.WithLookupEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
}

// TestMLflowConfigErrors replays config-errors.jsonl: every config MLflow
// 2.17.2 refused gets MLflow's message; every one it started parses, with
// the endpoints it listed.
func TestMLflowConfigErrors(t *testing.T) {
	f, err := os.Open(conformance + "config-errors.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var c struct {
			Case           string  `json:"case"`
			YAML           *string `json:"config_yaml"`
			Started        bool    `json:"server_started"`
			Output         string  `json:"cli_output"`
			OutputAlt      string  `json:"output"`
			ListAfterStart *string `json:"list_endpoints_after_start"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		n++
		t.Run(c.Case, func(t *testing.T) {
			var cfg *config.Config
			var err error
			if c.YAML == nil {
				cfg, err = config.Load(filepath.Join(t.TempDir(), "does-not-exist.yaml"))
				if err != nil {
					err = &config.Error{Message: filepath.Base(strings.TrimSuffix(err.Error(), " does not exist")) + " does not exist"}
				}
			} else {
				cfg, err = config.Parse([]byte(*c.YAML), c.Case+".yaml", env(map[string]string{"OPENAI_API_KEY": "sk-test-key-123"}))
			}
			out := c.Output + c.OutputAlt
			if !c.Started {
				_, want, ok := strings.Cut(out, "Invalid value for '--config-path': ")
				if !ok {
					t.Fatalf("no message in the recorded output %q", out)
				}
				want = strings.TrimRight(want, "\n")
				var ce *config.Error
				if !errors.As(err, &ce) {
					t.Fatalf("Parse = %v, want the error %q", err, want)
				}
				if ce.Message != want {
					t.Errorf("message\n got %q\nwant %q", ce.Message, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("MLflow started with this config; Parse = %v", err)
			}
			var listed struct {
				Endpoints []struct {
					Name         string `json:"name"`
					EndpointType string `json:"endpoint_type"`
				} `json:"endpoints"`
			}
			first, _, _ := strings.Cut(*c.ListAfterStart, "\n")
			if err := json.Unmarshal([]byte(first), &listed); err != nil {
				t.Fatal(err)
			}
			if len(listed.Endpoints) != len(cfg.Endpoints) {
				t.Fatalf("%d endpoints, MLflow listed %d", len(cfg.Endpoints), len(listed.Endpoints))
			}
			for i, e := range listed.Endpoints {
				if cfg.Endpoints[i].Name != e.Name || cfg.Endpoints[i].EndpointType != e.EndpointType {
					t.Errorf("endpoint %d is %q, MLflow listed %q", i, cfg.Endpoints[i].Name, e.Name)
				}
			}
			for _, w := range []string{"'route_type' configuration key", "'routes' configuration key"} {
				if strings.Contains(out, w) != strings.Contains(strings.Join(cfg.Warnings, "\n"), w) {
					t.Errorf("warning about %s: MLflow printed %v, berth %v", w, strings.Contains(out, w), cfg.Warnings)
				}
			}
		})
	}
	if n < 19 {
		t.Fatalf("only %d cases in config-errors.jsonl", n)
	}
}

func TestRecordedConfig(t *testing.T) {
	cfg, err := config.Load(conformance+"config.yaml", env(map[string]string{"OPENAI_API_KEY": "sk-test-key-123"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Endpoints) != 9 {
		t.Fatalf("%d endpoints", len(cfg.Endpoints))
	}
	lim := cfg.Endpoints[3]
	if lim.Name != "chat-limited" || lim.Limit == nil || lim.Limit.Calls != 2 || lim.Limit.Period != time.Minute || lim.Limit.String() != "2 per 1 minute" {
		t.Errorf("chat-limited: %+v %+v", lim, lim.Limit)
	}
	if cfg.Endpoints[0].Settings["openai_api_key"] != "sk-test-key-123" || cfg.Endpoints[0].Secrets[0] != "sk-test-key-123" {
		t.Errorf("the key was not resolved: %v", cfg.Endpoints[0].Settings)
	}
}

func TestSecrets(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(keyFile, []byte("sk-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		value, want, err string
	}{
		{"$KEY", "sk-from-env", ""},
		{"$EMPTY", "", "Environment variable 'EMPTY' is not set"},
		{"$NOPE", "", "Environment variable 'NOPE' is not set"},
		{"${KEY}", "", "Environment variable '{KEY}' is not set"},
		{keyFile, "sk-from-file", ""},
		{filepath.Join(dir, "missing.txt"), filepath.Join(dir, "missing.txt"), ""},
		{dir, dir, ""}, // a directory is not a key file
		{"sk-literal", "sk-literal", ""},
	}
	for _, tt := range tests {
		y := "endpoints:\n  - name: c\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      name: m\n      config:\n        openai_api_key: '" + tt.value + "'\n"
		cfg, err := config.Parse([]byte(y), "c.yaml", env(map[string]string{"KEY": "sk-from-env", "EMPTY": ""}))
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: error %v, want %q", tt.value, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.value, err)
			continue
		}
		if got := cfg.Endpoints[0].Settings["openai_api_key"]; got != tt.want {
			t.Errorf("%s: resolved to %q, want %q", tt.value, got, tt.want)
		}
	}
	_, err := config.Parse([]byte("endpoints:\n  - name: c\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      config:\n        openai_api_key: 12\n"), "c.yaml")
	if err == nil || !strings.Contains(err.Error(), "The api key provided is not a string") {
		t.Errorf("a number as key: %v", err)
	}
}

const twoChats = `endpoints:
  - name: a
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: m, config: {openai_api_key: k}}
    timeout: 2.5s
    max_retries: 2
    fallbacks: [b]
  - name: b
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: m, config: {openai_api_key: k}}
    timeout: 10
  - name: e
    endpoint_type: llm/v1/embeddings
    model: {provider: openai, name: m, config: {openai_api_key: k}}
`

func TestBerthFieldsAndRoutes(t *testing.T) {
	cfg, err := config.Parse([]byte(twoChats+`routes:
  - name: split
    task_type: llm/v1/chat
    destinations:
      - {name: a, traffic_percentage: 80}
      - {name: b, traffic_percentage: 20}
`), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Endpoints[0]
	if a.Timeout != 2500*time.Millisecond || a.MaxRetries != 2 || len(a.Fallbacks) != 1 || cfg.Endpoints[1].Timeout != 10*time.Second {
		t.Errorf("berth fields: %+v", a)
	}
	if len(cfg.Routes) != 1 || cfg.Routes[0].Destinations[1].TrafficPercentage != 20 || cfg.Routes[0].TaskType != "llm/v1/chat" {
		t.Errorf("routes: %+v", cfg.Routes)
	}
	bad := []struct{ yaml, want string }{
		{strings.Replace(twoChats, "fallbacks: [b]", "fallbacks: [e]", 1), "Endpoint 'a': fallback 'e' is a llm/v1/embeddings endpoint, not llm/v1/chat"},
		{strings.Replace(twoChats, "fallbacks: [b]", "fallbacks: [zz]", 1), "Endpoint 'a': fallback 'zz' is not an endpoint in the configuration"},
		{strings.Replace(twoChats, "max_retries: 2", "max_retries: -1", 1), "Endpoint 'a': max_retries -1 is not a whole number from 0 to 10"},
		{strings.Replace(twoChats, "timeout: 2.5s", "timeout: soon", 1), "Endpoint 'a': timeout soon is not a positive duration (e.g. 30s, or 30 for seconds)"},
		{twoChats + "routes:\n  - name: s\n    task_type: llm/v1/chat\n    destinations: [{name: a, traffic_percentage: 50}]\n", "Route 's': the traffic percentages of its destinations sum to 50, not 100"},
		{twoChats + "routes:\n  - name: s\n    task_type: llm/v1/chat\n    destinations: [{name: e, traffic_percentage: 100}]\n", "Route 's': destination 'e' is a llm/v1/embeddings endpoint, not llm/v1/chat"},
		{twoChats + "routes:\n  - name: s\n    task_type: llm/v1/chat\n    destinations: [{name: q, traffic_percentage: 100}]\n", "Route 's': destination 'q' is not an endpoint in the configuration"},
		{twoChats + "routes:\n  - name: a\n    task_type: llm/v1/chat\n    destinations: [{name: b, traffic_percentage: 100}]\n", "Duplicate names found in endpoint configurations. Please remove the duplicate endpoint name from the configuration to ensure that endpoints are created properly."},
		{"endpoints:\n  - name: c\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, config: {openai_api_key: k}}\n    limit: {calls: 2, renewal_period: 2 minutes}\n", ""},
		{"endpoints:\n  - name: c\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, config: {openai_api_key: k}}\n    limit: {calls: -1, renewal_period: minute}\n", "Failed to parse the rate limit configuration.Please make sure limit.calls is a positive number andlimit.renewal_period is a right granularity"},
		{"endpoints:\n  - name: c\n    endpoint_type: llm/v1/chat\n", "The gateway configuration is invalid: 1 validation error for GatewayConfig\nendpoints -> 0 -> model\n  field required (type=value_error.missing)"},
		{"endpoints:\n  - endpoint_type: llm/v1/chat\n    model: {provider: openai}\n", "The gateway configuration is invalid: 2 validation errors for GatewayConfig\nendpoints -> 0 -> name\n  field required (type=value_error.missing)\nendpoints -> 0 -> model -> config -> openai_api_key\n  field required (type=value_error.missing)"},
		{"- a\n", "The gateway configuration is invalid: 1 validation error for GatewayConfig\n__root__\n  GatewayConfig expected dict not list (type=type_error)"},
		{"endpoints: 3\n", "The gateway configuration is invalid: 1 validation error for GatewayConfig\nendpoints\n  value is not a valid list (type=type_error.list)"},
		{"endpoints:\n  - name: ü-ok_1\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, config: {openai_api_key: k}}\n", ""},
		{"endpoints:\n  - name: a.b\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, config: {openai_api_key: k}}\n", "The route name provided contains disallowed characters for a url endpoint. 'a.b' is invalid. Names cannot contain spaces or any non alphanumeric characters other than hyphen and underscore."},
	}
	for _, tt := range bad {
		_, err := config.Parse([]byte(tt.yaml), "c.yaml")
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s\n got %q\nwant %q", tt.yaml, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{twoChats, "endpoints: []\n", "", "routes:\n  - name: x\n    destinations: [{name: y}]\n", "endpoints:\n  - name: c\n    limit: {calls: 1, renewal_period: x}\n", "- 1", "a: [", "endpoints:\n  - model: {provider: openai, config: {openai_api_key: $K}}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data, "f.yaml", env(map[string]string{"K": "v"}), config.WithReadFile(func(string) ([]byte, error) { return nil, os.ErrNotExist }))
		if err != nil {
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("an error that is not a *config.Error: %v", err)
			}
			return
		}
		for _, ep := range cfg.Endpoints {
			if !config.ValidName(ep.Name) {
				t.Fatalf("accepted the name %q", ep.Name)
			}
		}
	})
}
