package keys

import (
	"time"
)

// Period is the span a usage count covers: a UTC minute, day or calendar
// month.
type Period int

// The periods counted.
const (
	PerMinute Period = iota
	PerDay
	PerMonth
)

var periodNames = [...]string{"minute", "day", "month"}

func (p Period) String() string { return periodNames[p] }

func parsePeriod(s string) (Period, bool) {
	for i, n := range periodNames {
		if n == s {
			return Period(i), true
		}
	}
	return 0, false
}

// start returns the first second (Unix, UTC) of the period that holds t.
func (p Period) start(t time.Time) int64 {
	t = t.UTC()
	switch p {
	case PerMinute:
		return t.Unix() - t.Unix()%60
	case PerDay:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix()
	default:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).Unix()
	}
}

// end returns when the period that holds t is over.
func (p Period) end(t time.Time) time.Time {
	s := time.Unix(p.start(t), 0).UTC()
	switch p {
	case PerMinute:
		return s.Add(time.Minute)
	case PerDay:
		return s.AddDate(0, 0, 1)
	default:
		return s.AddDate(0, 1, 0)
	}
}

func (c cellID) less(o cellID) bool {
	if c.key != o.key {
		return c.key < o.key
	}
	if c.period != o.period {
		return c.period < o.period
	}
	return c.start < o.start
}

// slidingMinute is the sliding-window estimate of a count over the last
// minute at now, from the count of the current minute (cur) and of the
// one before (prev): prev is weighted by the share of the last 60 s that
// falls in it, as if its events had been spread evenly.
func slidingMinute(now time.Time, cur, prev int64) float64 {
	elapsed := float64(now.UnixNano()%int64(time.Minute)) / float64(time.Minute)
	return float64(cur) + float64(prev)*(1-elapsed)
}

// overLimit reports whether one more (request or token) would take the
// estimate past limit, allowing for the estimate's rounding.
func overLimit(estimate float64, limit int64) bool { return estimate+1 > float64(limit)+1e-9 }

// minuteWait returns how long from now until the sliding estimate, plus
// need, is within limit: the earliest time at which the request would be
// admitted if nothing else were counted meanwhile.
func minuteWait(now time.Time, cur, prev, need, limit int64) time.Duration {
	room := float64(limit - need) // the estimate must fall to at most this
	elapsedNs := now.UnixNano() % int64(time.Minute)
	toEnd := time.Duration(int64(time.Minute) - elapsedNs)
	if slidingMinute(now, cur, prev) <= room {
		return 0
	}
	if float64(cur) <= room { // then prev > 0, and slides out within this minute
		// Within this minute: cur + prev*(1-f) <= room.
		f := 1 - (room-float64(cur))/float64(prev)
		at := time.Duration(f * float64(time.Minute))
		if w := at - time.Duration(elapsedNs); w > 0 {
			return w
		}
		return 0
	}
	if room < 0 {
		return toEnd + time.Minute // never, in practice: limit < need
	}
	// In the next minute, this minute's cur becomes prev: cur*(1-f) <= room.
	f := 0.0
	if cur > 0 {
		f = max(0, 1-room/float64(cur))
	}
	return toEnd + time.Duration(f*float64(time.Minute))
}
