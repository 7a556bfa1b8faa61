package serve

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/jsonw"
)

// RequestLog writes a sample of the scored requests to a JSON Lines file,
// one line per scored row:
//
//	{"time":"2026-11-28T08:00:00.123Z","model":"iris","version":"3","request_id":"…","row":0,
//	 "inputs":{"sepal_length":5.1,…},"outputs":{"label":0,"probabilities":[0.98,0.02,0.0]}}
//
// Inputs are keyed by signature column when the model's columns are
// stacked into one input tensor, else by input tensor; outputs by output
// tensor ("output.NAME" when an input has the same name), a vector's row
// as a scalar and a wider row as an array. `berth drift report --current`
// reads the file back, inputs and outputs. Lines are encoded in the
// request (only for sampled requests) and written by one goroutine
// through a bounded queue: a full queue drops the request's lines and
// counts them rather than slowing scoring down. The file is rotated to
// PATH.1 when it would grow past the size limit.
type RequestLog struct {
	path     string
	rate     float64
	maxBytes int64
	log      *slog.Logger

	queue     chan []byte
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	// Owned by the writing goroutine.
	f    *os.File
	w    *bufio.Writer
	size int64

	rows, dropped prometheus.Counter
}

// RequestLogOptions configure a [RequestLog]. They are a struct of their
// own, not [Option]s (those configure the server), and are taken as
// given: start from [DefaultRequestLogOptions].
type RequestLogOptions struct {
	// SampleRate logs each scored request with this probability (0 to 1;
	// clamped).
	SampleRate float64
	// MaxBytes rotates the file to PATH.1 (replacing an older one) before
	// it grows past this many bytes; zero never rotates.
	MaxBytes int64
	// Logger logs write errors; nil discards them.
	Logger *slog.Logger
}

// DefaultRequestLogOptions log every request, rotate at 100 MiB and
// discard write errors.
func DefaultRequestLogOptions() RequestLogOptions {
	return RequestLogOptions{SampleRate: 1, MaxBytes: 100 << 20}
}

// requestLogQueue is how many requests' lines may wait to be written.
const requestLogQueue = 4096

// OpenRequestLog opens (appending to) or creates the log file at path and
// starts its writer; Close flushes and closes it.
func OpenRequestLog(path string, o RequestLogOptions) (*RequestLog, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	l := &RequestLog{
		path: path, rate: min(max(o.SampleRate, 0), 1), maxBytes: max(o.MaxBytes, 0), log: o.Logger,
		queue: make(chan []byte, requestLogQueue), done: make(chan struct{}),
		rows: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "berth", Name: "request_log_rows_total",
			Help: "Scored rows written to the request log (berth serve --log-requests).",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "berth", Name: "request_log_dropped_total",
			Help: "Sampled requests not written to the request log because its queue was full or writing failed.",
		}),
	}
	if err := l.open(); err != nil {
		return nil, err
	}
	go l.run()
	return l, nil
}

func (l *RequestLog) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening the request log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("opening the request log: %w", err)
	}
	l.f, l.w, l.size = f, bufio.NewWriterSize(f, 64<<10), st.Size()
	return nil
}

// Close writes what is queued, flushes and closes the file. Lines handed
// to a closed log are dropped.
func (l *RequestLog) Close() error {
	l.closeOnce.Do(func() {
		close(l.queue)
		<-l.done
	})
	return l.closeErr
}

func (l *RequestLog) collectors() []prometheus.Collector {
	return []prometheus.Collector{l.rows, l.dropped}
}

// run writes queued lines, flushing once a second and when idle.
func (l *RequestLog) run() {
	defer close(l.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case b, ok := <-l.queue:
			if !ok {
				err := l.w.Flush()
				if cerr := l.f.Close(); err == nil {
					err = cerr
				}
				l.closeErr = err
				return
			}
			l.write(b)
		case <-tick.C:
			if err := l.w.Flush(); err != nil {
				l.log.Warn("writing the request log", "path", l.path, "error", err)
			}
		}
	}
}

func (l *RequestLog) write(b []byte) {
	if l.maxBytes > 0 && l.size > 0 && l.size+int64(len(b)) > l.maxBytes {
		if err := l.rotate(); err != nil {
			l.log.Warn("rotating the request log", "path", l.path, "error", err)
		}
	}
	n, err := l.w.Write(b)
	l.size += int64(n)
	if err != nil {
		l.dropped.Inc()
		l.log.Warn("writing the request log", "path", l.path, "error", err)
		return
	}
	l.rows.Add(float64(bytes.Count(b, []byte{'\n'})))
}

func (l *RequestLog) rotate() error {
	err := errors.Join(l.w.Flush(), l.f.Close())
	if rerr := os.Rename(l.path, l.path+".1"); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if oerr := l.open(); oerr != nil {
		// Keep writing to a closed file's successor: nothing; the next
		// write fails and is counted as dropped.
		return errors.Join(err, oerr)
	}
	return err
}

// sampled reports whether the next request is to be logged.
func (l *RequestLog) sampled() bool {
	return l.rate >= 1 || (l.rate > 0 && rand.Float64() < l.rate)
}

// enqueue hands lines to the writer, or drops them when it is behind.
func (l *RequestLog) enqueue(b []byte) {
	defer func() {
		if recover() != nil { // the log was closed during shutdown
			l.dropped.Inc()
		}
	}()
	select {
	case l.queue <- b:
	default:
		l.dropped.Inc()
	}
}

// WithRequestLog logs a sample of the scored requests, inputs and
// outputs, to l. The caller closes l after the server has shut down.
// Default: none.
func WithRequestLog(l *RequestLog) Option { return func(o *options) { o.requestLog = l } }

// logRequest writes a scored request's rows to the request log, when there
// is one and the request is sampled. requestID is the client's
// X-Request-ID, or "" for a random one.
func (s *Server) logRequest(requestID string, m *Model, inputs, outputs []*flavors.Tensor) {
	l := s.opts.requestLog
	if l == nil || !l.sampled() {
		return
	}
	if requestID == "" {
		requestID = fmt.Sprintf("%016x", rand.Uint64())
	}
	if b := appendLogLines(nil, time.Now(), m, requestID, inputs, outputs); b != nil {
		l.enqueue(b)
	}
}

// logField is one key of a log line's inputs or outputs: element col of
// each row of tensor t read as [rows, width], the whole row when all.
type logField struct {
	key   string
	t     *flavors.Tensor
	col   int
	width int
	all   bool
}

// appendLogLines appends one line per row of a scored request, or returns
// nil when the tensors do not share a row count.
func appendLogLines(b []byte, now time.Time, m *Model, requestID string, inputs, outputs []*flavors.Tensor) []byte {
	rows := -1
	fits := func(t *flavors.Tensor) bool {
		if len(t.Shape) == 0 {
			return false
		}
		if rows < 0 {
			rows = int(t.Shape[0])
		}
		return int(t.Shape[0]) == rows
	}
	var ins []logField
	var cols []string
	if sig := m.Signature(); len(inputs) == 1 && sig != nil && sig.Inputs != nil && !sig.Inputs.IsTensor() && sig.Inputs.HasNames() {
		for _, c := range sig.Inputs.Columns {
			cols = append(cols, c.Name)
		}
	}
	for _, t := range inputs {
		if !fits(t) {
			return nil
		}
		width := rowWidth(t)
		if len(cols) > 1 && len(t.Shape) == 2 && width == len(cols) {
			for j, c := range cols {
				ins = append(ins, logField{key: c, t: t, col: j, width: width})
			}
			continue
		}
		key := t.Name
		if len(cols) == 1 && width == 1 {
			key = cols[0]
		}
		ins = append(ins, logField{key: key, t: t, width: width, all: width != 1})
	}
	var outs []logField
	for _, t := range outputs {
		if !fits(t) {
			return nil
		}
		key := t.Name
		if slices.ContainsFunc(ins, func(f logField) bool { return f.key == key }) {
			key = "output." + key
		}
		width := rowWidth(t)
		outs = append(outs, logField{key: key, t: t, width: width, all: width != 1})
	}
	if rows <= 0 {
		return nil
	}
	ts := now.UTC().AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00")
	for i := range rows {
		b = append(b, `{"time":"`...)
		b = append(b, ts...)
		b = append(b, `","model":`...)
		b = jsonw.AppendString(b, m.Name)
		b = append(b, `,"version":`...)
		b = jsonw.AppendString(b, m.Version)
		b = append(b, `,"request_id":`...)
		b = jsonw.AppendString(b, requestID)
		b = append(b, `,"row":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"inputs":`...)
		b = appendLogFields(b, ins, i)
		b = append(b, `,"outputs":`...)
		b = appendLogFields(b, outs, i)
		b = append(b, "}\n"...)
	}
	return b
}

// rowWidth is the number of elements per row of t.
func rowWidth(t *flavors.Tensor) int {
	w := 1
	for _, d := range t.Shape[1:] {
		w *= int(d)
	}
	return w
}

func appendLogFields(b []byte, fs []logField, row int) []byte {
	b = append(b, '{')
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, f.key)
		b = append(b, ':')
		if !f.all {
			b = jsonw.AppendElem(b, f.t.Data, row*f.width+f.col, false)
			continue
		}
		b = append(b, '[')
		for j := range f.width {
			if j > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendElem(b, f.t.Data, row*f.width+j, false)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}
