package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/internal/buildinfo"
)

// envVars is the one table of BERTH_* variables: each sets the default of
// the flag it names, on every command that has that flag. Flags given on
// the command line win.
var envVars = []struct{ name, flag, help string }{
	{"BERTH_ORT_LIB", "ort-lib", "path to libonnxruntime.so (default: the cache `make ort` fills)"},
	{"BERTH_REGISTRY_URI", "registry-uri", "registry that models:/ URIs are resolved against"},
	{"MLFLOW_TRACKING_URI", "registry-uri", "used when BERTH_REGISTRY_URI is not set"},
	{"BERTH_REGISTRY_TOKEN", "registry-token", "bearer token for the registry"},
	{"MLFLOW_TRACKING_TOKEN", "registry-token", "used when BERTH_REGISTRY_TOKEN is not set"},
	{"BERTH_CACHE_DIR", "cache-dir", "where models downloaded from the registry are kept"},
	{"BERTH_PROMPT_ENDPOINT", "prompt-endpoint", "the gateway endpoint of prompts:/ URIs (berth serve, pack, evaluate, promote)"},
	{"BERTH_HOST", "host", "address to listen on"},
	{"BERTH_PORT", "port", "port to listen on"},
	{"BERTH_DEFAULT_MODEL", "default", "model that /invocations scores"},
	{"BERTH_TOKEN", "token", "bearer token required on scoring routes (not empty)"},
	{"BERTH_BODY_LIMIT", "body-limit", "largest request body accepted, e.g. 100MiB"},
	{"BERTH_BODY_BUDGET", "body-budget", "berth serve, berth server: memory request bodies may hold at once, e.g. 512MiB (0: no bound)"},
	{"BERTH_BODY_TIMEOUT", "body-timeout", "answer 408 to a body whose next MiB has not arrived within this, e.g. 60s (0 disables)"},
	{"BERTH_ALLOWED_HOSTS", "allowed-hosts", "Host header values accepted, comma-separated (* for any)"},
	{"BERTH_RESPONSE_LIMIT", "response-limit", "berth serve: largest scoring response, e.g. 100MiB (0 disables)"},
	{"BERTH_ALLOW_LOCAL_SOURCES", "allow-local-sources", "berth serve, pack, evaluate, promote: load models:/ versions stored on this machine (true/false)"},
	{"BERTH_TIMEOUT", "timeout", "per-request timeout, e.g. 60s (0 disables)"},
	{"BERTH_LOG_FORMAT", "log-format", "text or json"},
	{"BERTH_LOG_LEVEL", "log-level", "debug, info, warn or error"},
	{"BERTH_ACCESS_LOG", "access-log", "log one line per request (true/false)"},
	{"BERTH_DRIFT", "drift", "berth serve: monitor drift of models with a drift_reference.json (true/false)"},
	{"BERTH_DRIFT_WEBHOOK", "drift-webhook", "berth serve: URL told when a model's drift status changes"},
	{"BERTH_REPORT_INTERVAL", "report-interval", "berth serve: how often models:/ models' request rate, latency and errors are logged, e.g. 1m (0: off)"},
	{"BERTH_LOG_REQUESTS", "log-requests", "berth serve: JSON Lines file that a sample of scored rows is written to"},
	{"BERTH_LOG_REQUESTS_SAMPLE", "log-requests-sample", "berth serve: share of requests logged (0 to 1)"},
	{"BERTH_BACKEND_STORE_URI", "backend-store-uri", "berth server: tracking database URI (sqlite:///... or postgresql://...)"},
	{"BERTH_ARTIFACTS_DESTINATION", "artifacts-destination", "berth server: directory or s3://bucket/prefix for logged artifacts"},
	{"BERTH_UI", "ui", "berth server: serve the web UI at / (true/false)"},
	{"BERTH_SQLITE_SYNCHRONOUS", "sqlite-synchronous", "normal or full"},
	{"BERTH_READ_TOKENS", "read-token", "berth server: bearer tokens that may read, SPLIT ON COMMAS (a token cannot hold one; empty entries refused)"},
	{"BERTH_WRITE_TOKENS", "write-token", "berth server: bearer tokens that may write, SPLIT ON COMMAS (a token cannot hold one; empty entries refused)"},
	{"BERTH_MAX_ARTIFACT_SIZE", "max-artifact-size", "berth server: largest artifact upload, e.g. 5GiB"},
	{"BERTH_METRICS_OPEN", "metrics-open", "berth server: serve /metrics without a token (true/false)"},
	{"BERTH_WEBHOOK_SECRET_KEY", "webhook-secret-key", "berth server: key webhook secrets are stored encrypted with (16 bytes or more)"},
	{"BERTH_GATEWAY_KEYS", "gateway-keys", "berth gateway, berth server: require a gateway key on every gateway query (true/false)"},
	{"BERTH_GATEWAY_CONFIG", "gateway-config", "berth server: the LLM gateway's YAML config, mounted beside the tracking server"},
	{"BERTH_TRACKING_URI", "tracking-uri", "berth gateway: tracking server its usage reports are written to"},
	{"MLFLOW_TRACKING_URI", "tracking-uri", "berth gateway: used when BERTH_TRACKING_URI is not set"},
	{"BERTH_TRACKING_TOKEN", "tracking-token", "berth gateway: bearer token for the tracking server"},
	{"MLFLOW_TRACKING_TOKEN", "tracking-token", "berth gateway: used when BERTH_TRACKING_TOKEN is not set"},
	{"BERTH_NO_SERVE_ARTIFACTS", "no-serve-artifacts", "berth server: clients write artifacts to the store directly (true/false)"},
	{"BERTH_DEFAULT_ARTIFACT_ROOT", "default-artifact-root", "berth server --no-serve-artifacts: artifact root of new experiments"},
	{"MLFLOW_S3_ENDPOINT_URL", "s3-endpoint-url", "berth server, and models:/ versions with s3:// sources: endpoint of an S3-compatible store"},
	{"MLFLOW_S3_IGNORE_TLS", "s3-ignore-tls", "berth server: do not verify the S3 endpoint's certificate (true/false)"},
}

func newRoot() *cobra.Command {
	g := &options.Log{}
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Serve, pack and monitor MLflow models",
		Version:       buildinfo.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags(), os.LookupEnv); err != nil {
				return err
			}
			return options.CheckRegistryFlag(cmd.Flags())
		},
	}
	g.AddFlags(root)
	root.SetUsageTemplate(root.UsageTemplate() + envHelp())
	root.AddCommand(newServeCmd(g), newModelsCmd(g), newRunsCmd())
	root.AddCommand(newDriftCmd())
	addCommands(root, g)
	return root
}

// applyEnv sets each flag that was not given on the command line from its
// variable, if set; where several variables feed one flag, the first set in
// the table wins.
func applyEnv(flags *pflag.FlagSet, lookup func(string) (string, bool)) error {
	fromEnv := map[string]bool{}
	for _, e := range envVars {
		f := flags.Lookup(e.flag)
		if f == nil || f.Changed || fromEnv[e.flag] {
			continue
		}
		if v, ok := lookup(e.name); ok {
			if err := f.Value.Set(v); err != nil {
				return fmt.Errorf("%s=%q: %w", e.name, v, err)
			}
			fromEnv[e.flag] = true
		}
	}
	return nil
}

func envHelp() string {
	var b strings.Builder
	b.WriteString("\nEnvironment (a flag on the command line wins):\n")
	for _, e := range envVars {
		fmt.Fprintf(&b, "  %-27s --%-21s %s\n", e.name, e.flag, e.help)
	}
	return b.String()
}
