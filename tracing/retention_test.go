package tracing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/berthml/berth/tracing"
)

// purgeStore counts purges; its other methods are not called.
type purgeStore struct {
	tracing.Store
	cutoffs []int64
}

func (s *purgeStore) PurgeTracesBefore(_ context.Context, cutoff int64) (int, error) {
	s.cutoffs = append(s.cutoffs, cutoff)
	return 3, nil
}

// exclusiveStore is a purgeStore shared with other replicas: held says
// whether another holds the key; keys records the keys asked for.
type exclusiveStore struct {
	purgeStore
	held bool
	keys []int64
	err  error
}

func (s *exclusiveStore) TryExclusive(ctx context.Context, key int64, job func(context.Context) error) (bool, error) {
	s.keys = append(s.keys, key)
	if s.err != nil {
		return false, s.err
	}
	if s.held {
		return false, nil
	}
	return true, job(ctx)
}

// TestPurgeOnce: an Exclusive store purges under RetentionLockKey when it
// gets the key and not at all when another replica holds it; a store that
// is not Exclusive always purges; the cutoff is now minus keep.
func TestPurgeOnce(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	keep := 24 * time.Hour
	wantCutoff := now.Add(-keep).UnixMilli()

	plain := &purgeStore{}
	n, ran, err := tracing.PurgeOnce(ctx, plain, keep, now)
	if n != 3 || !ran || err != nil || len(plain.cutoffs) != 1 || plain.cutoffs[0] != wantCutoff {
		t.Errorf("store without a lock: n=%d ran=%v err=%v cutoffs=%v; want 3 true nil [%d]", n, ran, err, plain.cutoffs, wantCutoff)
	}

	for _, tc := range []struct {
		name    string
		held    bool
		err     error
		wantRan bool
		purges  int
	}{
		{"free", false, nil, true, 1},
		{"held by another replica", true, nil, false, 0},
		{"lock error", false, errors.New("connection refused"), false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &exclusiveStore{held: tc.held, err: tc.err}
			n, ran, err := tracing.PurgeOnce(ctx, s, keep, now)
			if ran != tc.wantRan || len(s.cutoffs) != tc.purges || (err != nil) != (tc.err != nil) {
				t.Errorf("ran=%v purges=%d err=%v; want ran=%v purges=%d err=%v", ran, len(s.cutoffs), err, tc.wantRan, tc.purges, tc.err)
			}
			if len(s.keys) != 1 || s.keys[0] != tracing.RetentionLockKey {
				t.Errorf("keys asked %v, want [%d]", s.keys, tracing.RetentionLockKey)
			}
			if tc.wantRan && n != 3 {
				t.Errorf("n=%d, want 3", n)
			}
			if !tc.wantRan && n != 0 {
				t.Errorf("n=%d without purging", n)
			}
		})
	}
}
