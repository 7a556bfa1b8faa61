package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "berth-example")
	defer os.RemoveAll(dir)

	s, err := sqlstore.Open(ctx, "sqlite:///"+filepath.Join(dir, "mlflow.db"), "mlflow-artifacts:/")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	exp, _ := s.CreateExperiment(ctx, "demo", "", nil)
	run, _ := s.CreateRun(ctx, tracking.CreateRun{ExperimentID: exp, RunName: "first"})
	_ = s.LogMetric(ctx, run.Info.RunID, tracking.Metric{Key: "acc", Value: 0.9, Step: 1})
	_ = s.LogParam(ctx, run.Info.RunID, tracking.Param{Key: "lr", Value: "0.1"})
	err = s.LogParam(ctx, run.Info.RunID, tracking.Param{Key: "lr", Value: "0.2"})
	fmt.Println(tracking.CodeOf(err))

	got, _ := s.GetRun(ctx, run.Info.RunID)
	fmt.Println(got.Info.RunName, got.Info.Status, got.Data.Metrics[0].Value, got.Data.Params[0].Value)
	// Output:
	// INVALID_PARAMETER_VALUE
	// first RUNNING 0.9 0.1
}
