package options

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
)

// Log are the flags every command has: --log-format and --log-level.
type Log struct {
	Format string
	Level  string
}

// AddFlags adds --log-format and --log-level to cmd and its subcommands.
func (o *Log) AddFlags(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&o.Format, "log-format", "text", "log format: text or json")
	cmd.PersistentFlags().StringVar(&o.Level, "log-level", "info", "log level: debug, info, warn or error")
}

// Logger returns a logger writing to w in the format and from the level
// the flags say.
func (o *Log) Logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.Level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	ho := &slog.HandlerOptions{Level: level}
	switch o.Format {
	case "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", o.Format)
}
