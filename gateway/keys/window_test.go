package keys

import (
	"math"
	"testing"
	"time"
)

func TestPeriodBounds(t *testing.T) {
	at := time.Date(2026, 12, 31, 23, 59, 30, 5, time.UTC)
	tests := []struct {
		p          Period
		start, end time.Time
	}{
		{PerMinute, time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{PerDay, time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{PerMonth, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := tt.p.start(at); got != tt.start.Unix() {
			t.Errorf("%s start = %s, want %s", tt.p, time.Unix(got, 0).UTC(), tt.start)
		}
		if got := tt.p.end(at); !got.Equal(tt.end) {
			t.Errorf("%s end = %s, want %s", tt.p, got, tt.end)
		}
		// A time zone does not move the bounds: they are UTC.
		if got := tt.p.start(at.In(time.FixedZone("X", 5*3600))); got != tt.start.Unix() {
			t.Errorf("%s start in +05:00 = %s", tt.p, time.Unix(got, 0).UTC())
		}
	}
}

func TestSlidingMinute(t *testing.T) {
	tests := []struct {
		at        time.Duration // into the minute
		cur, prev int64
		want      float64
	}{
		{0, 0, 60, 60},
		{15 * time.Second, 10, 60, 55}, // a quarter of prev has slid out
		{30 * time.Second, 10, 60, 40},
		{59 * time.Second, 0, 60, 1},
	}
	for _, tt := range tests {
		if got := slidingMinute(t0.Add(tt.at), tt.cur, tt.prev); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("slidingMinute(+%s, %d, %d) = %v, want %v", tt.at, tt.cur, tt.prev, got, tt.want)
		}
	}
}

func TestMinuteWait(t *testing.T) {
	tests := []struct {
		name                   string
		at                     time.Duration
		cur, prev, need, limit int64
		want                   time.Duration
	}{
		{"room now", 10 * time.Second, 5, 0, 1, 10, 0},
		{"prev slides out within the minute", 0, 0, 10, 1, 10, 6 * time.Second}, // 10*(1-f) <= 9
		{"cur full: into the next minute", 30 * time.Second, 10, 0, 1, 10, 30*time.Second + 6*time.Second},
		{"cur far over", 45 * time.Second, 20, 0, 1, 10, 15*time.Second + 33*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0.Add(tt.at)
			got := minuteWait(now, tt.cur, tt.prev, tt.need, tt.limit)
			if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
				t.Fatalf("minuteWait = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestMinuteWaitIsEarliest checks minuteWait against the estimate itself:
// at the time it gives, the request fits; a second before, it did not.
func TestMinuteWaitIsEarliest(t *testing.T) {
	for _, limit := range []int64{1, 3, 10, 600} {
		for _, cur := range []int64{0, 1, limit / 2, limit, 2 * limit} {
			for _, prev := range []int64{0, 1, limit, 3 * limit} {
				for _, at := range []time.Duration{0, 7 * time.Second, 30 * time.Second, 59 * time.Second} {
					now := t0.Add(at)
					w := minuteWait(now, cur, prev, 1, limit)
					est := func(d time.Duration) float64 {
						t := now.Add(d)
						c, p := cur, prev
						switch (PerMinute.start(t) - PerMinute.start(now)) / 60 {
						case 0:
						case 1: // the next minute: cur became prev
							c, p = 0, cur
						default:
							c, p = 0, 0
						}
						return slidingMinute(t, c, p)
					}
					if est(w+time.Millisecond)+1 > float64(limit)+1e-6 {
						t.Errorf("limit %d cur %d prev %d at +%s: after wait %s the estimate %v still leaves no room", limit, cur, prev, at, w, est(w+time.Millisecond))
					}
					if w > time.Second && est(w-time.Second)+1 <= float64(limit) {
						t.Errorf("limit %d cur %d prev %d at +%s: wait %s is a second too long", limit, cur, prev, at, w)
					}
				}
			}
		}
	}
}
