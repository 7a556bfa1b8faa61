//go:build !servingonly

package options

import (
	"time"

	"github.com/spf13/cobra"
)

// Recipe are berth recipe's flags.
type Recipe struct {
	// Dir is the recipe directory (holding recipe.yaml).
	Dir string
	// Profile is profiles/PROFILE.yaml ("" for none).
	Profile string
	// Step is the step to run up to (berth recipe run --step).
	Step string
	// StepTimeout bounds a step that sets no timeout.
	StepTimeout time.Duration
	// Force re-runs cached steps.
	Force bool
}

// AddFlags adds --dir and --profile to cmd.
func (o *Recipe) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.Dir, "dir", "C", ".", "the recipe directory (holding recipe.yaml)")
	f.StringVarP(&o.Profile, "profile", "p", "local", "profile: profiles/PROFILE.yaml's variables fill recipe.yaml's {{ NAME }} (\"\" for none)")
}

// AddRunFlags adds berth recipe run's own flags to cmd.
func (o *Recipe) AddRunFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.Step, "step", "s", "", "run the steps up to and including this one (default: all)")
	f.DurationVar(&o.StepTimeout, "step-timeout", 30*time.Minute, "time limit of a step that sets no timeout: of its own")
	f.BoolVar(&o.Force, "force", false, "re-run every step, ignoring the cache")
}
