package gateway

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/berthml/berth/gateway/config"
	"github.com/fsnotify/fsnotify"
)

// Watch reloads the config at path whenever the file changes, until ctx
// ends. It watches the file's directory, so an editor's
// write-to-temp-and-rename and Kubernetes' ConfigMap symlink swap are seen
// too. A bad edit keeps the config in use and is logged with the reason
// (MLflow's message); the next good edit is loaded. onReload, when not
// nil, is called after each attempt with its error (nil: loaded).
func (g *Gateway) Watch(ctx context.Context, path string, onReload func(error), opts ...config.Option) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching the gateway config: %w", err)
	}
	dir := filepath.Dir(path)
	if err := w.Add(dir); err != nil {
		w.Close()
		return fmt.Errorf("watching %s: %w", dir, err)
	}
	go func() {
		defer w.Close()
		var debounce <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Clean(ev.Name) != filepath.Clean(path) && filepath.Base(ev.Name) != "..data" {
					continue
				}
				if ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename|fsnotify.Remove) != 0 {
					debounce = time.After(100 * time.Millisecond) // editors write in bursts
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				g.opts.logger.Warn("watching the gateway config", "error", err)
			case <-debounce:
				debounce = nil
				err := g.reloadFile(path, opts...)
				if onReload != nil {
					onReload(err)
				}
			}
		}
	}()
	return nil
}

func (g *Gateway) reloadFile(path string, opts ...config.Option) error {
	cfg, err := config.Load(path, opts...)
	if err == nil {
		err = g.Reload(cfg)
	}
	if err != nil {
		g.opts.logger.Error("the gateway config was not reloaded; the previous one stays in use", "path", path, "error", err)
		return err
	}
	for _, w := range cfg.Warnings {
		g.opts.logger.Warn(w, "path", path)
	}
	g.opts.logger.Info("reloaded the gateway config", "path", path, "endpoints", len(cfg.Endpoints), "routes", len(cfg.Routes))
	return nil
}
