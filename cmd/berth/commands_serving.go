//go:build servingonly

package main

import (
	"github.com/spf13/cobra"

	"github.com/berthml/berth/cmd/berth/internal/options"
)

// addCommands adds nothing in the servingonly build: the binary that goes
// into images serves models (serve, models, runs, drift) and nothing else.
func addCommands(*cobra.Command, *options.Log) {}
