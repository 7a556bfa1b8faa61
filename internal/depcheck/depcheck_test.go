package depcheck

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Third-party modules, by what they are for.
const (
	gin        = "github.com/gin-gonic/gin"               // HTTP routing: the servers only
	ort        = "github.com/yalue/onnxruntime_go"        // ONNX Runtime: flavors/onnx only
	prom       = "github.com/prometheus/client_golang"    // metrics
	promModel  = "github.com/prometheus/client_model"     // metrics, as gathered
	ggcr       = "github.com/google/go-containerregistry" // OCI images
	yaml       = "go.yaml.in/yaml/v3"                     // MLmodel files
	protobuf   = "google.golang.org/protobuf"             // ONNX model files, read field by field
	plot       = "gonum.org/v1/plot"                      // evaluation plots
	gonum      = "gonum.org/v1/gonum"                     // special functions (drift's p-values)
	pgx        = "github.com/jackc/pgx/v5"                // PostgreSQL
	sqlite     = "modernc.org/sqlite"                     // SQLite
	cobra      = "github.com/spf13/cobra"                 // the command line
	pflag      = "github.com/spf13/pflag"                 // the command line
	isatty     = "github.com/mattn/go-isatty"             // progress bars on a terminal
	chromedp   = "github.com/chromedp/chromedp"           // browser tests
	cdproto    = "github.com/chromedp/cdproto"            // browser tests
	pdata      = "go.opentelemetry.io/collector/pdata"    // OTLP trace export requests
	mlflowrest = "api/mlflowrest"
	gogit      = "github.com/go-git/go-git/v5"  // berth run's git projects
	fsnotify   = "github.com/fsnotify/fsnotify" // the gateway's config hot reload

	// The AWS SDK for Go v2: blob/s3 only (artifacts in S3 buckets).
	awsSDK      = "github.com/aws/aws-sdk-go-v2"
	awsConfig   = "github.com/aws/aws-sdk-go-v2/config"
	awsCreds    = "github.com/aws/aws-sdk-go-v2/credentials"
	awsS3       = "github.com/aws/aws-sdk-go-v2/service/s3"
	awsTransfer = "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	awsSmithy   = "github.com/aws/smithy-go"
)

// awsModules are the AWS SDK modules blob/s3 uses.
var awsModules = []string{awsSDK, awsConfig, awsCreds, awsS3, awsTransfer, awsSmithy}

// guarded are the modules that only the packages whose rule names them may
// bring into the build, directly.
var guarded = []string{gin, ort}

// rules is berth's layering: for every package of the module, what it may
// import directly. Layers, from the top:
//
//	cmd/berth                        the command line: flags in, one call, result out
//	cmd/berth/internal/options       its flag groups, each with AddFlags
//	serve, server, ui              the HTTP layers (gin lives here and nowhere else)
//	pack, promote → evaluate, batchscore, drift/writeback, modeluri
//	chart                            the charts and drift pages, as SVG and HTML
//	drift                            statistics over model inputs and outputs
//	api/scoring, api/oip, api/mlflowrest, tracking, tracking/...
//	flavors, flavors/onnx            models (ONNX Runtime lives in flavors/onnx only)
//	internal/...                     small helpers
//
// bench/... and the test helpers (internal/*test, server/servertest)
// sit beside the layers and may use what they measure or fake.
var rules = map[string]Rule{
	"cmd/berth": {
		Packages: []string{mlflowrest, "batchscore", "chart", "cmd/berth/internal/options", "drift", "drift/writeback", "evaluate",
			"flavors/builtin", "internal/buildinfo", "internal/jsonl", "internal/progress", "modeluri", "pack", "pack/modelpack",
			"project", // berth run
			"recipe",  // berth recipe
			"gateway/keys",
			"gateway/gatewaytrace",
			"gateway", "internal/httpguard", "internal/httpserve", // berth gateway
			"gateway/usage", // berth server's usage reports
			"promote", "server", "serve", "serve/servingreport", "tracing", "tracking/sqlstore", "ui"},
		Modules: []string{ggcr, prom, cobra, pflag},
	},
	// The command's flag groups (AddFlags) and the helpers that turn them
	// into the libraries' options: part of the command, so it may reach
	// the HTTP layers' option types.
	"cmd/berth/internal/options": {
		Packages: []string{mlflowrest, "drift", "evaluate", "flavors", "flavors/onnx", "internal/cliflag", "internal/httpguard",
			"project",         // berth run's flags
			"evaluate/llm",    // berth evaluate's LLM model types
			"api/deployments", // berth evaluate's gateway client
			"evaluate/llm/judge",
			"drift/writeback", // berth serve's --drift-merge-grace default
			"gateway", "gateway/keys",
			"gateway/usage",                              // --report-interval
			"gateway/gatewaytrace",                       // --trace-sample-rate
			"gateway/config", "gateway/provider/builtin", // berth gateway's flags
			"gateway/gctune", // berth gateway's --gc-percent
			"internal/progress", "modeluri", "serve", "server", "tracking/sqlstore", "webhook",
			"blob", "blob/s3"}, // blob: --artifacts-destination's stores
		Modules: []string{cobra, pflag},
	},

	// The HTTP layers.
	"serve": {
		Packages: []string{"api/oip", "api/scoring", "chart", "drift", "flavors", "internal/buildinfo", "internal/cliflag", "internal/httpguard",
			"internal/httpserve", "internal/jsonw", "internal/servingusage", "modeluri"}, // modeluri: models:/ arguments
		Modules: []string{gin, prom, promModel},
	},
	"server": {
		Packages: []string{mlflowrest, "internal/httpguard", "internal/httpserve", "tracing", "tracing/otlp", "tracking", "tracking/search", "webhook",
			"internal/cliflag", "internal/jsonscan", // bodies.go: the body budget's messages and JSON values
			// prompt: create-promptlab-run's model directory
			"prompt",
			// internal/pyvalue: the mlflow.modelVersions tag, as json.dumps writes it
			"internal/pyvalue",
			"blob"}, // blob: the artifact store
		Modules: []string{gin, prom},
	},
	"ui":     {Packages: []string{"chart"}},
	"deploy": {},

	// Domain packages under the command.
	"pack":            {Packages: []string{"flavors", "internal/buildinfo"}, Modules: []string{ggcr}},
	"pack/modelpack":  {Packages: []string{"flavors", "internal/protofields"}, Modules: []string{ggcr, protobuf}},
	"evaluate":        {Packages: []string{mlflowrest, "batchscore", "drift", "flavors", "internal/jsonl", "internal/numpy", "evaluate/llm", "evaluate/llm/judge"}, Modules: []string{plot}},
	"evaluate/llm":    {Packages: []string{"api/deployments", "internal/numpy"}, Modules: []string{"github.com/pkoukk/tiktoken-go", "github.com/pkoukk/tiktoken-go-loader"}}, // LLM text metrics; cl100k_base embedded
	"promote":         {Packages: []string{mlflowrest, "evaluate", "flavors"}},
	"project":         {Packages: []string{mlflowrest, "internal/pyvalue"}, Modules: []string{yaml, gogit}}, // berth run: MLflow Projects
	"recipe":          {Packages: []string{mlflowrest, "project"}, Modules: []string{yaml}},
	"batchscore":      {Packages: []string{"api/scoring", "drift", "flavors", "internal/jsonl", "internal/jsonw"}},
	"drift/writeback": {Packages: []string{mlflowrest, "drift", "webhook"}},
	"modeluri":        {Packages: []string{mlflowrest, "prompt", "blob"}}, // prompt: prompts:/ versions written as promptlab models; blob: s3:// sources' listing type
	"drift":           {Packages: []string{"flavors", "internal/jsonl"}, Modules: []string{gonum}},
	"chart":           {Packages: []string{"drift"}}, // draws what drift computes

	// Wire contracts and the tracking domain.
	"api/scoring":       {Packages: []string{"flavors", "internal/ftoa", "internal/jsonscan", "internal/jsonw"}},
	"api/oip":           {Packages: []string{"flavors", "internal/float16", "internal/jsonscan", "internal/jsonw"}},
	"api/mlflowrest":    {},
	"tracking":          {},
	"tracking/search":   {Packages: []string{"tracking"}},
	"tracking/sqlstore": {Packages: []string{"internal/sqlretry", "tracing", "tracking", "webhook"}, Modules: []string{pgx, sqlite}},
	"tracing":           {Packages: []string{"tracking"}},
	"tracing/otlp":      {Packages: []string{"tracing", "internal/jsonscan", "internal/protofields", "internal/pyvalue"}, Modules: []string{pdata, protobuf}},
	"webhook":           {}, // events, payloads, signing, delivery: the standard library only

	// The LLM gateway: wire types, the provider seam and its adapters.
	"api/deployments":                {Packages: []string{"internal/jsonscan"}},
	"gateway":                        {Packages: []string{"api/deployments", "gateway/config", "gateway/h1", "gateway/provider", "internal/jsonscan", "internal/ftoa", "internal/httpguard"}, Modules: []string{prom, fsnotify}},
	"gateway/gctune":                 {},                                                                                                      // the gateway process's GC pacing (--gc-percent)
	"gateway/h1":                     {},                                                                                                      // the upstream transport for plain-http upstreams: the caller's goroutine does the I/O
	"gateway/gatewaytest":            {},                                                                                                      // an OpenAI-shaped echo upstream for tests and benchmarks
	"gateway/gatewaytrace":           {Packages: []string{"api/deployments", "gateway", "tracing", "tracing/otlp"}, Modules: []string{pdata}}, // sampled calls as MLflow traces, off the request path
	"gateway/usage":                  {Packages: []string{mlflowrest, "gateway", "gateway/keys", "internal/servingusage", "tracking"}},
	"gateway/config":                 {Packages: []string{"api/deployments", "gateway/provider"}, Modules: []string{yaml}},
	"gateway/provider":               {Packages: []string{"api/deployments"}},
	"gateway/provider/builtin":       {Packages: []string{"gateway/provider/openai", "gateway/provider/mlflowserving", "gateway/provider/anthropic", "gateway/provider/bedrock", "gateway/provider/cohere", "gateway/provider/gemini", "gateway/provider/mistral", "gateway/provider/togetherai", "gateway/provider/berth"}},
	"gateway/provider/openai":        {Packages: []string{"api/deployments", "gateway/provider", "internal/jsonscan"}},
	"gateway/provider/mlflowserving": {Packages: []string{"api/deployments", "gateway/provider", "gateway/provider/internal/upstream"}},
	"gateway/provider/berth":         {Packages: []string{"api/deployments", "flavors", "flavors/onnx", "gateway/provider", "modeluri"}}, // embeddings run in-process

	// The LLM gateway's keys, limits and budgets (sqlstore: its database URIs).
	"gateway/keys": {Packages: []string{"internal/sqlretry", "tracking/sqlstore"}, Modules: []string{pgx, sqlite, yaml}},

	// The SaaS adapters (their builtin imports are listed with builtin's rule).
	"gateway/provider/internal/upstream":     {Packages: []string{"api/deployments", "gateway/provider"}}, // what the SaaS adapters share
	"gateway/provider/internal/upstreamtest": {Packages: []string{"gateway/provider"}},                    // their tests' fake upstream
	"gateway/provider/anthropic":             {Packages: []string{"api/deployments", "gateway/provider", "gateway/provider/internal/upstream"}},
	"gateway/provider/bedrock": {Packages: []string{"api/deployments", "gateway/provider", "gateway/provider/internal/upstream"},
		Modules: []string{"github.com/aws/aws-sdk-go-v2", "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"}}, // SigV4, the event stream
	"gateway/provider/cohere":     {Packages: []string{"api/deployments", "gateway/provider", "gateway/provider/internal/upstream"}},
	"gateway/provider/gemini":     {Packages: []string{"api/deployments", "gateway/provider", "gateway/provider/internal/upstream"}},
	"gateway/provider/mistral":    {Packages: []string{"api/deployments", "gateway/provider", "gateway/provider/internal/upstream"}},
	"gateway/provider/togetherai": {Packages: []string{"api/deployments", "gateway/provider", "gateway/provider/internal/upstream"}},

	// Artifact storage: a local directory (blob), an S3 bucket (blob/s3).
	"blob":    {},
	"blob/s3": {Packages: []string{"blob"}, Modules: awsModules},

	// Models.
	"flavors":         {Packages: []string{"internal/pyvalue"}, Modules: []string{yaml}},
	"flavors/onnx":    {Packages: []string{"flavors", "internal/float16", "internal/protofields"}, Modules: []string{ort, protobuf}},
	"flavors/builtin": {Packages: []string{"flavors/onnx", "flavors/promptlab"}},
	// promptlab models: the template filled per row, sent to a gateway endpoint
	"flavors/promptlab": {Packages: []string{"api/deployments", "flavors", "prompt"}},
	"prompt":            {Packages: []string{"internal/pyvalue"}, Modules: []string{yaml}}, // prompt templates and the promptlab model directory

	// Helpers.
	"internal/buildinfo":   {},
	"internal/cliflag":     {}, // the command line's flag value types and how sizes are written
	"internal/float16":     {},
	"internal/httpguard":   {},
	"internal/httpserve":   {},
	"internal/jsonl":       {},
	"internal/jsonscan":    {Packages: []string{"internal/pow10"}},
	"internal/pow10":       {},                                     // powers of ten to 128 bits (float parsing and printing)
	"internal/sqlretry":    {Modules: []string{pgx}},               // PostgreSQL's deadlock and serialisation refusals run again
	"internal/ftoa":        {Packages: []string{"internal/pow10"}}, // shortest float printing (the scoring encoders)
	"internal/numpy":       {},                                     // numpy's reductions, bit for bit (evaluate, evaluate/llm)
	"internal/pyvalue":     {},                                     // CPython's repr, str and json.dumps (prompt, project, server, tracing/otlp)
	"internal/jsonw":       {Packages: []string{"internal/ftoa"}},
	"internal/progress":    {Modules: []string{isatty}}, // the command line's progress bars
	"internal/protofields": {Modules: []string{protobuf}},

	// serving reports: plain counts (never the metrics) to the registry
	"internal/servingusage": {},
	"serve/servingreport":   {Packages: []string{mlflowrest, "drift", "drift/writeback", "internal/servingusage"}},

	"internal/depcheck":       {},
	"internal/cmd/testreport": {},
	"internal/cmd/llmengine":  {Packages: []string{"internal/llmtest"}}, // the tests' llama.cpp engine for make demo

	// Test helpers.
	"internal/browsertest":         {Modules: []string{chromedp, cdproto}},
	"internal/httpguard/guardtest": {},
	"internal/iristest":            {Packages: []string{"batchscore", "drift", "flavors"}},
	"internal/llmtest":             {}, // llama.cpp (node-llama-cpp) behind testdata/llm/server.mjs, a generated GGUF model
	"internal/ortest":              {Packages: []string{"flavors/onnx"}},
	"internal/pgtest":              {Modules: []string{pgx}},
	"internal/podmantest":          {}, // a rootful podman (runc) with its own config and storage for a test
	"internal/testregistry":        {},
	"internal/s3test":              {}, // starts SeaweedFS
	"internal/replicatest":         {}, // berth server replicas on PostgreSQL and a bucket behind HAProxy
	"server/servertest":            {Packages: []string{mlflowrest, "server", "tracking/sqlstore"}},

	// Benchmarks.
	"bench":                   {},
	"bench/loadgen":           {},
	"bench/proccpu":           {}, // processes' CPU time for the benches
	"bench/driftaccuracy":     {Packages: []string{"drift"}},
	"bench/cmd/barebones":     {Packages: []string{"flavors", "flavors/onnx"}},
	"bench/cmd/blobbench":     {Packages: []string{mlflowrest, "bench/proccpu", "blob/s3", "internal/s3test", "modeluri"}},
	"bench/cmd/berthbench":    {Packages: []string{"bench/loadgen", "bench/proccpu", "flavors", "flavors/onnx"}},
	"bench/cmd/driftaccuracy": {Packages: []string{"bench/driftaccuracy", "drift"}},
	"bench/cmd/floor":         {},
	"bench/cmd/gatewaysoak":   {Packages: []string{"gateway", "gateway/config", "gateway/gatewaytest", "gateway/provider/builtin"}}, // 1,000 streams and the soak, the gateway in its own process
	"bench/cmd/gatewaybench": {Packages: []string{"bench/loadgen", "bench/proccpu", "gateway", "gateway/config", "gateway/gatewaytest", "gateway/gctune", "gateway/keys",
		"gateway/provider/builtin"}, Modules: []string{"golang.org/x/sys"}}, // the gateway's added latency and throughput; x/sys: the stand-in upstream's timerfd
	"bench/cmd/jsonspeed": {Packages: []string{"api/oip", "api/scoring", "flavors"},
		Modules: []string{"github.com/go-json-experiment/json", "github.com/tidwall/gjson"}}, // decoders compared
	"bench/cmd/ocrcost":       {Packages: []string{"api/scoring", "flavors", "flavors/onnx"}},
	"bench/cmd/packbench":     {Packages: []string{"flavors/onnx", "pack"}},
	"bench/cmd/registrybench": {Packages: []string{mlflowrest, "bench/loadgen"}},
	"bench/cmd/replicabench":  {Packages: []string{"bench/proccpu", "internal/replicatest"}},
	"bench/cmd/tracebench":    {Packages: []string{"bench/proccpu"}, Modules: []string{pdata}},
	"bench/cmd/throughput":    {Packages: []string{"bench/loadgen", "bench/proccpu", "flavors", "flavors/onnx"}},

	// MLflow's LLM-as-judge metrics through a gateway endpoint (berth evaluate --extra-metrics).
	"evaluate/llm/judge": {Packages: []string{"api/deployments", "evaluate/llm", "internal/numpy", "internal/pyvalue"}},
}

// TestLayering checks every package of the module against rules.
func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the layering check runs go list: %v", err)
	}
	g, err := Load(".")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(g.Own, "cmd/berth") || len(g.Own) < 30 {
		t.Fatalf("go list found %d packages of %s (%v): not the whole module", len(g.Own), g.Module, g.Own)
	}
	for _, err := range g.Check(rules, guarded) {
		t.Error(err)
	}
}

// TestRulesDirection keeps the allowlist itself pointing one way: what
// only the top layers may import, and who may name gin and ONNX Runtime.
func TestRulesDirection(t *testing.T) {
	top := []string{"cmd/berth", "serve", "server", "ui"}
	mayImportTop := []string{"cmd/berth", "cmd/berth/internal/options", "server/servertest"}
	for pkg, r := range rules {
		for _, p := range r.Packages {
			if slices.Contains(top, p) && !slices.Contains(mayImportTop, pkg) {
				t.Errorf("%s may import %s: only the command imports the HTTP layers", pkg, p)
			}
			if strings.HasPrefix(p, "bench") && !strings.HasPrefix(pkg, "bench") {
				t.Errorf("%s may import %s: benchmarks are leaves", pkg, p)
			}
		}
		if slices.Contains(r.Modules, gin) && pkg != "serve" && pkg != "server" {
			t.Errorf("%s may import gin: only serve and server do", pkg)
		}
		if slices.Contains(r.Modules, ort) && pkg != "flavors/onnx" {
			t.Errorf("%s may import onnxruntime_go: only flavors/onnx does", pkg)
		}
	}
}

// fakeGraph is go list -json output for a module example.com/m:
// cmd → server → dom, server → gin; dom → lib (a third-party module).
const fakeGraph = `
{"ImportPath": "fmt", "Standard": true}
{"ImportPath": "github.com/gin-gonic/gin", "Module": {"Path": "github.com/gin-gonic/gin"}, "Imports": ["fmt"]}
{"ImportPath": "example.org/lib/x", "Module": {"Path": "example.org/lib"}, "Imports": ["fmt"]}
{"ImportPath": "example.com/m/dom", "Module": {"Path": "example.com/m"}, "Imports": ["example.org/lib/x", "fmt"]}
{"ImportPath": "example.com/m/server", "Module": {"Path": "example.com/m"}, "Imports": ["example.com/m/dom", "github.com/gin-gonic/gin"]}
{"ImportPath": "example.com/m/cmd", "Module": {"Path": "example.com/m"}, "Imports": ["example.com/m/server"]}
`

func fakeRules() map[string]Rule {
	return map[string]Rule{
		"cmd":    {Packages: []string{"server"}},
		"server": {Packages: []string{"dom"}, Modules: []string{gin}},
		"dom":    {Modules: []string{"example.org/lib"}},
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		graph string
		edit  func(map[string]Rule)
		want  []string // substrings, one error each
	}{
		{"allowed", fakeGraph, func(map[string]Rule) {}, nil},
		{"package without a rule", fakeGraph, func(r map[string]Rule) { delete(r, "dom") },
			[]string{"package dom has no rule"}},
		{"rule for no package", fakeGraph, func(r map[string]Rule) { r["gone"] = Rule{} },
			[]string{"rule for gone, which is not a package"}},
		{"import of a package not allowed", fakeGraph, func(r map[string]Rule) { r["server"] = Rule{Modules: []string{gin}} },
			[]string{"server may not import dom (its rule allows none)\nimport chain:\n  example.com/m/cmd\n    example.com/m/server\n      example.com/m/dom"}},
		{"module not allowed", fakeGraph, func(r map[string]Rule) { r["dom"] = Rule{} },
			[]string{"dom may not import example.org/lib/x of module example.org/lib (its rule allows none)\nimport chain:\n  example.com/m/cmd\n    example.com/m/server\n      example.com/m/dom\n        example.org/lib/x"}},
		{"guarded module through a third party",
			strings.Replace(fakeGraph, `"Module": {"Path": "example.org/lib"}, "Imports": ["fmt"]`,
				`"Module": {"Path": "example.org/lib"}, "Imports": ["github.com/gin-gonic/gin"]`, 1),
			func(map[string]Rule) {},
			[]string{"github.com/gin-gonic/gin is reached through example.org/lib/x (module example.org/lib), not through a package whose rule names it\nimport chain:\n  example.com/m/cmd\n    example.com/m/server\n      example.com/m/dom\n        example.org/lib/x\n          github.com/gin-gonic/gin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := parse("example.com/m", []byte(tt.graph))
			if err != nil {
				t.Fatal(err)
			}
			r := fakeRules()
			tt.edit(r)
			errs := g.Check(r, guarded)
			if len(errs) != len(tt.want) {
				t.Fatalf("Check = %v, want %d error(s): %q", errors.Join(errs...), len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i], w)
				}
			}
		})
	}
}
