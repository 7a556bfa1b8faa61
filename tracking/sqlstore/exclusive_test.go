package sqlstore_test

import (
	"context"
	"testing"

	"github.com/berthml/berth/tracking/sqlstore"
)

// TestTryExclusive: two stores on one PostgreSQL database (two replicas)
// never run a job under the same key at once, while the job returns or
// blocks; the key is free again once the job returns; other keys are not
// held. SQLite always runs the job.
func TestTryExclusive(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			a, uri := b.open(t)
			if b.name != "postgres" {
				ran, err := a.TryExclusive(ctx, 7, func(context.Context) error { return nil })
				if !ran || err != nil {
					t.Fatalf("SQLite: ran %v, %v; want the job run", ran, err)
				}
				return
			}
			other, err := sqlstore.Open(ctx, uri, "mlflow-artifacts:/")
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			var otherRan, otherKeyRan bool
			ran, err := a.TryExclusive(ctx, 80115, func(ctx context.Context) error {
				var err error
				otherRan, err = other.TryExclusive(ctx, 80115, func(context.Context) error { return nil })
				if err != nil {
					return err
				}
				otherKeyRan, err = other.TryExclusive(ctx, 80116, func(context.Context) error { return nil })
				return err
			})
			if !ran || err != nil {
				t.Fatalf("first holder: ran %v, %v", ran, err)
			}
			if otherRan {
				t.Error("a second replica ran a job under the key the first held")
			}
			if !otherKeyRan {
				t.Error("a second replica could not run a job under another key")
			}
			if ran, err := other.TryExclusive(ctx, 80115, func(context.Context) error { return nil }); !ran || err != nil {
				t.Errorf("after the first job returned, the second replica: ran %v, %v", ran, err)
			}

			// A job that blocks holds the key until it returns.
			third, err := sqlstore.Open(ctx, uri, "mlflow-artifacts:/")
			if err != nil {
				t.Fatal(err)
			}
			held, release := make(chan struct{}), make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				third.TryExclusive(ctx, 80115, func(context.Context) error { close(held); <-release; return nil })
			}()
			<-held
			if ran, _ := other.TryExclusive(ctx, 80115, func(context.Context) error { return nil }); ran {
				t.Error("the key was taken while a third replica held it")
			}
			close(release)
			<-done
			third.Close()
			if ran, err := other.TryExclusive(ctx, 80115, func(context.Context) error { return nil }); !ran || err != nil {
				t.Errorf("after the holder closed: ran %v, %v", ran, err)
			}
		})
	}
}
