package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

func benchStore(b *testing.B, opts ...sqlstore.Option) (*sqlstore.Store, string) {
	b.Helper()
	s, _ := openSQLite(b, opts...)
	r, err := s.CreateRun(context.Background(), tracking.CreateRun{ExperimentID: "0"})
	if err != nil {
		b.Fatal(err)
	}
	return s, r.Info.RunID
}

// BenchmarkLogMetric measures one committed LogMetric on SQLite, serially
// and from parallel goroutines, with synchronous=FULL (the default) and
// NORMAL.
func BenchmarkLogMetric(b *testing.B) {
	ctx := context.Background()
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("sqlite/sync="+sync, func(b *testing.B) {
			s, run := benchStore(b, sqlstore.WithSQLiteSynchronous(sync))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.LogMetric(ctx, run, tracking.Metric{Key: "loss", Value: float64(i), Step: int64(i)}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("sqlite/sync="+sync+"/parallel", func(b *testing.B) {
			s, run := benchStore(b, sqlstore.WithSQLiteSynchronous(sync))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					if err := s.LogMetric(ctx, run, tracking.Metric{Key: fmt.Sprintf("loss%p", pb), Value: float64(i), Step: int64(i)}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkLogBatch measures LogBatch of 1000 metrics (MLflow's per-batch
// maximum) on SQLite; metrics/s is reported.
func BenchmarkLogBatch(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{100, 1000} {
		b.Run(fmt.Sprintf("sqlite/metrics=%d", size), func(b *testing.B) {
			s, run := benchStore(b)
			ms := make([]tracking.Metric, size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := range ms {
					ms[j] = tracking.Metric{Key: "loss", Value: float64(j), Step: int64(i*size + j)}
				}
				if err := s.LogBatch(ctx, run, ms, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "metrics/s")
		})
	}
}
