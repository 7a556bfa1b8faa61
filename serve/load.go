package serve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/httpserve"
	"github.com/berthml/berth/modeluri"
)

// ModelArg is one [NAME=]MODEL argument of berth serve: a model directory
// or a models:/ URI (Source), served as Name.
type ModelArg struct{ Name, Source string }

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ParseModelArgs reads [NAME=]MODEL arguments. A name left out is the
// directory's base name, or the registered model's name of a models:/ URI;
// names are letters, digits, '.', '_' and '-', each given once.
func ParseModelArgs(args []string) ([]ModelArg, error) {
	seen := map[string]bool{}
	out := make([]ModelArg, 0, len(args))
	for _, a := range args {
		name, src, ok := strings.Cut(a, "=")
		if !ok {
			src = a
			name = filepath.Base(filepath.Clean(a))
			if u, err := modeluri.Parse(a); err == nil {
				name = u.Name
			}
		}
		if src == "" {
			return nil, fmt.Errorf("model argument %q: no model after %q", a, name+"=")
		}
		if !validName.MatchString(name) {
			return nil, fmt.Errorf("model argument %q: name %q must be letters, digits, '.', '_' or '-' (give NAME=MODEL)", a, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("model name %q given twice (give NAME=MODEL to tell them apart)", name)
		}
		seen[name] = true
		out = append(out, ModelArg{name, src})
	}
	return out, nil
}

// CheckModelArgs says plainly, before anything loads, when a model
// directory does not exist or the default model (if given) is none of
// models.
func CheckModelArgs(models []ModelArg, defaultModel string) error {
	for _, ma := range models {
		if modeluri.IsModelURI(ma.Source) {
			continue
		}
		if _, err := os.Stat(ma.Source); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("model %q: %s does not exist (give a model directory with an MLmodel file, or a models:/ URI)", ma.Name, ma.Source)
		}
	}
	if defaultModel != "" && !slices.ContainsFunc(models, func(m ModelArg) bool { return m.Name == defaultModel }) {
		return fmt.Errorf("--default %q names none of the models given", defaultModel)
	}
	return nil
}

// ParseModelBatch reads --batch NAME=SIZE[/DELAY] and NAME=off into each
// named model's batching; a delay left out is def's.
func ParseModelBatch(specs []string, def BatchConfig, models []ModelArg) (map[string]BatchConfig, error) {
	out := map[string]BatchConfig{}
	for _, spec := range specs {
		name, v, ok := strings.Cut(spec, "=")
		if !ok || name == "" || v == "" {
			return nil, fmt.Errorf("--batch %q: want NAME=SIZE[/DELAY] or NAME=off", spec)
		}
		if !slices.ContainsFunc(models, func(m ModelArg) bool { return m.Name == name }) {
			return nil, fmt.Errorf("--batch %q: no model is served as %q", spec, name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--batch: model %q given twice", name)
		}
		c := def
		if v == "off" {
			c.MaxBatchSize = 0
			out[name] = c
			continue
		}
		size, delay, hasDelay := strings.Cut(v, "/")
		n, err := strconv.Atoi(size)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("--batch %q: %q is not a batch size", spec, size)
		}
		c.MaxBatchSize = n
		if hasDelay {
			d, err := time.ParseDuration(delay)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("--batch %q: %q is not a duration (e.g. 2ms)", spec, delay)
			}
			c.MaxQueueDelay = d
		}
		out[name] = c
	}
	return out, nil
}

// Registered maps the served name of each models:/ model to its
// registered name.
func Registered(models []ModelArg) map[string]string {
	out := map[string]string{}
	for _, ma := range models {
		if u, err := modeluri.Parse(ma.Source); err == nil && modeluri.IsModelURI(ma.Source) {
			out[ma.Name] = u.Name
		}
	}
	return out
}

// InstanceName names a server listening on ln in serving reports: host
// name and listening port.
func InstanceName(ln net.Listener) string {
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	port := ""
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		port = strconv.Itoa(a.Port)
	}
	return host + ":" + port
}

// A Resolver finds the version a models:/ URI names, downloads it, and
// watches an alias, stage or latest for a new version. *modeluri.Resolver
// is one; the command line makes it from its registry flags.
type Resolver interface {
	Resolve(ctx context.Context, u modeluri.URI) (*modeluri.Version, error)
	Download(ctx context.Context, v *modeluri.Version) (string, error)
	Watch(ctx context.Context, u modeluri.URI, interval time.Duration, current string,
		onChange func(context.Context, *modeluri.Version) error, onError func(error))
}

var _ Resolver = (*modeluri.Resolver)(nil)

// Loading says how ServeModels loads its models.
type Loading struct {
	// Resolver is called once, at the first models:/ argument, so that a
	// server of directories alone needs no registry.
	Resolver func() (Resolver, error)
	// Poll is how often an alias, stage or latest is checked for a new
	// version (0: never).
	Poll time.Duration
	// Load are the flavor load options of every model (threads, logger).
	Load flavors.LoadOptions
	// Started is when the process began, for the start-to-ready figure.
	Started time.Time
}

// ServeModels serves on ln at once, so that liveness answers while it
// loads and warms up each model (a directory, or a models:/ version
// resolved and downloaded), then marks the server ready. It returns when
// the server stops; a model that fails to load stops it before it was
// ready.
func (s *Server) ServeModels(ctx context.Context, ln net.Listener, models []ModelArg, l Loading) error {
	ctx, cancelCause := context.WithCancelCause(ctx)
	defer cancelCause(nil)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()
	fail := func(err error) error {
		// A model that fails to load ends the server before it was ready:
		// no "shutting down: finishing requests in flight".
		cancelCause(httpserve.ErrStartFailed)
		<-errc
		return err
	}
	var resolver Resolver
	for _, ma := range models {
		var m *Model
		var err error
		if modeluri.IsModelURI(ma.Source) {
			if resolver == nil {
				if resolver, err = l.Resolver(); err != nil {
					return fail(err)
				}
			}
			err = s.loadFromRegistry(ctx, resolver, ma, l)
		} else if m, err = LoadModelWith(ctx, ma.Name, "1", ma.Source, l.Load); err == nil {
			s.Add(m)
		}
		if err != nil {
			return fail(err)
		}
	}
	s.MarkReady()
	s.opts.logger.Info("ready", "addr", "http://"+ln.Addr().String(), "models", len(models),
		"start_to_ready", time.Since(l.Started).Round(time.Microsecond))
	return <-errc
}

// loadFromRegistry resolves a models:/ argument, downloads, loads and adds
// that version, and, for aliases, stages and latest, then watches for a
// new version to swap in. The version is added before the watch starts, so
// a new version the watch finds at once is never replaced by the first.
func (s *Server) loadFromRegistry(ctx context.Context, r Resolver, ma ModelArg, l Loading) error {
	u, err := modeluri.Parse(ma.Source)
	if err != nil {
		return err
	}
	load := func(ctx context.Context, v *modeluri.Version) (*Model, error) {
		dir, err := r.Download(ctx, v)
		if err != nil {
			return nil, err
		}
		m, err := LoadModelWith(ctx, ma.Name, v.Version, dir, l.Load)
		if err != nil {
			return nil, err
		}
		m.Source = u.String()
		return m, nil
	}
	v, err := r.Resolve(ctx, u)
	if err != nil {
		return err
	}
	m, err := load(ctx, v)
	if err != nil {
		return err
	}
	s.Add(m)
	if u.Kind != modeluri.KindVersion && l.Poll > 0 {
		go r.Watch(ctx, u, l.Poll, v.Version, func(ctx context.Context, v *modeluri.Version) error {
			next, err := load(ctx, v)
			if err != nil {
				return err
			}
			s.Add(next)
			return nil
		}, func(err error) {
			s.opts.logger.Warn("watching the registry", "model", ma.Name, "uri", u.String(), "error", err)
		})
	}
	return nil
}
