package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/serve"
	"github.com/berthml/berth/serve/servingreport"
)

// servingGCPercent is berth serve's GOGC unless the environment sets one.
const servingGCPercent = 400

// started is when the process began, for the start-to-ready figure.
var started = time.Now()

// serveOptions are berth serve's flags, in groups.
type serveOptions struct {
	listen   options.Listen
	source   options.Source
	runtime  options.Runtime
	scoring  options.Scoring
	drift    options.Drift
	reqlog   options.RequestLog
	batching options.Batching
}

func newServeCmd(g *options.Log) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [NAME=]MODEL ...",
		Short: "Serve models over MLflow's scoring protocol, Open Inference Protocol v2 and KServe V1",
		Long: `Serve one or more MLflow model directories over REST.

Each MODEL is an MLflow model directory (with an MLmodel file) or a registry
URI — models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/latest or
models:/NAME/STAGE — resolved against --registry-uri. It is served under NAME
(default: the directory's base name, or the registered model's name). A URI
that names an alias, a stage or latest is watched: when it moves to another
version, berth loads that version and swaps it in without failing a request.
A registered prompt — prompts:/NAME@ALIAS or prompts:/NAME/VERSION (MLflow 3's
prompt registry) — is served as a promptlab model: /invocations takes the
template's variables as columns and answers the text per row, through the
gateway endpoint --prompt-endpoint (default: the version's model_config
model_name) of $MLFLOW_DEPLOYMENTS_TARGET ($MLFLOW_DEPLOYMENTS_TOKEN its
bearer token); a prompt alias is watched like a model's. /invocations scores the first
model, or the one named by --default; every model also answers at
/models/NAME/invocations, /v2/models/NAME/infer and /v1/models/NAME:predict.`,
		Example: `  berth serve testdata/models/iris_logreg
  berth serve iris=./iris diabetes=./diabetes --default iris --port 8080
  berth serve models:/iris@champion --registry-uri http://127.0.0.1:5000
  MLFLOW_DEPLOYMENTS_TARGET=http://127.0.0.1:5001 berth serve prompts:/qa@production --prompt-endpoint chat --registry-uri http://127.0.0.1:5000`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("no model given: berth serve takes one or more model directories or models:/ URIs\n\n%s", cmd.UsageString())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.Logger(os.Stderr)
			if err != nil {
				return err
			}
			return runServe(cmd.Context(), o, args, log)
		},
	}
	o.listen.AddFlags(cmd, "8080")
	o.scoring.AddFlags(cmd)
	o.source.AddFlags(cmd)
	o.runtime.AddFlags(cmd)
	o.drift.AddFlags(cmd)
	o.reqlog.AddFlags(cmd)
	o.batching.AddFlags(cmd)
	return cmd
}

// runServe listens first, so liveness answers at once, then loads and warms
// up every model, and only then reports ready.
func runServe(ctx context.Context, o *serveOptions, args []string, log *slog.Logger) error {
	models, err := serve.ParseModelArgs(args)
	if err != nil {
		return err
	}
	if err := o.scoring.Token.Check("--token", "BERTH_TOKEN"); err != nil {
		return err
	}
	if err := serve.CheckModelArgs(models, o.scoring.DefaultModel); err != nil {
		return err
	}
	if !onlyPrompts(models) { // a prompt calls a gateway: no ONNX Runtime
		if err := o.runtime.Init(); err != nil {
			return err
		}
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		// A scoring server's Go heap is small and short-lived (the model's
		// weights live in ONNX Runtime's memory): collecting less often
		// costs a few megabytes and buys a few percent of throughput.
		debug.SetGCPercent(servingGCPercent)
	}
	opts := append(o.scoring.Options(), serve.WithLogger(log), serve.WithBodyTimeout(o.listen.BodyTimeout),
		serve.WithAllowedHosts(o.listen.Hosts()), serve.WithShutdownTimeout(o.listen.Shutdown))
	opts = append(opts, o.drift.Options()...)
	batching, err := o.batching.Options(models)
	if err != nil {
		return err
	}
	opts = append(opts, batching...)
	if o.listen.AccessLog {
		opts = append(opts, serve.WithAccessLog(log))
	}
	rl, err := o.reqlog.Open(log)
	if err != nil {
		return err
	}
	if rl != nil {
		defer rl.Close() // after the server has shut down
		opts = append(opts, serve.WithRequestLog(rl))
	}
	ln, err := o.listen.Listen()
	if err != nil {
		return err
	}
	wb := servingreport.New(servingreport.Config{Registry: o.source.ClientOrNil(), Registered: serve.Registered(models),
		Drift: o.drift.On && o.drift.Writeback, Interval: o.drift.Report, Webhook: o.drift.Webhook,
		DriftPeriod: o.drift.Period, MergeGrace: o.drift.MergeGrace,
		Instance: serve.InstanceName(ln), Logger: log})
	if l := wb.Listener(); l != nil {
		opts = append(opts, serve.WithDriftListener(l))
	}
	if l := wb.PeriodListener(); l != nil {
		opts = append(opts, serve.WithDriftPeriods(o.drift.Period, l))
	}
	s := serve.New(opts...)
	defer s.Close()
	defer wb.Start(s)() // stops after the server has stopped serving
	return s.ServeModels(ctx, ln, models, serve.Loading{Poll: o.scoring.Poll, Load: o.batching.LoadOptions(log), Started: started,
		Resolver: func() (serve.Resolver, error) { return o.source.Resolver(log) }})
}

// onlyPrompts reports whether every model is a registered prompt.
func onlyPrompts(models []serve.ModelArg) bool {
	for _, m := range models {
		if !strings.HasPrefix(m.Source, modeluri.PromptScheme) {
			return false
		}
	}
	return true
}
