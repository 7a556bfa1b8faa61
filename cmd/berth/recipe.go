//go:build !servingonly

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/recipe"
)

func newRecipeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recipe",
		Short: "Run a cached pipeline from data to a registered, promoted, packed and smoke-tested model (MLflow Recipes, rebuilt)",
		Long: `A recipe (recipe.yaml, in MLflow Recipes' shape, with profiles/*.yaml
variables filling its {{ NAME }} references) lists steps: user steps are entry
points of the recipe's MLflow project (train, or any other), run as tracked
runs; native steps run berth's own commands: evaluate (validation_criteria),
register (only a model that met them), promote (the alias gate against its
current holder), pack (an OCI image) and smoke (berth serve the model and score
the evaluation data through it). Each step's outputs are cached under a key of
its inputs, settings and code; see docs/recipes.md.`,
	}
	cmd.AddCommand(newRecipeRunCmd(), newRecipeInspectCmd(), newRecipeInitCmd())
	return cmd
}

func newRecipeRunCmd() *cobra.Command {
	o := &options.Recipe{}
	reg := &options.Registry{}
	cmd := &cobra.Command{
		Use:   "run [--step STEP] [--profile PROFILE] [-C DIR]",
		Short: "Run the recipe's steps, re-using every step whose inputs, settings and code did not change",
		Example: `  berth recipe run --registry-uri http://127.0.0.1:5000
  berth recipe run --step evaluate --profile ci -C ./my-recipe`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rec, err := recipe.Load(o.Dir, o.Profile)
			if err != nil {
				return err
			}
			if reg.URI != "" {
				if err := options.CheckRegistryURI(reg.URI); err != nil {
					return err
				}
			}
			rn := recipe.NewRunner(recipe.WithRegistry(reg.URI, reg.Token), recipe.WithStepTimeout(o.StepTimeout),
				recipe.WithOutput(cmd.ErrOrStderr(), cmd.ErrOrStderr()), recipe.WithForce(o.Force))
			cards, err := rn.Run(cmd.Context(), rec, o.Step)
			for _, c := range cards {
				state := c.Status
				if c.Cached {
					state = "cached"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%-10s %-8s %-7s %6.2fs\n", c.Step, c.Kind, state, c.Seconds)
			}
			id, recErr := rn.Record(cmd.Context(), rec, cards, err)
			if id != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "recipe: recorded as run %s: %s/#/recipes/%s\n", id, strings.TrimRight(reg.URI, "/"), id)
			}
			return errors.Join(err, recErr)
		},
	}
	o.AddFlags(cmd)
	o.AddRunFlags(cmd)
	reg.AddFlags(cmd)
	return cmd
}

func newRecipeInspectCmd() *cobra.Command {
	o := &options.Recipe{}
	cmd := &cobra.Command{
		Use:   "inspect [--profile PROFILE] [-C DIR]",
		Short: "Show the recipe's graph and each step's card: what it read, wrote and measured, and its runs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rec, err := recipe.Load(o.Dir, o.Profile)
			if err != nil {
				return err
			}
			return recipe.Inspect(cmd.OutOrStdout(), rec)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func newRecipeInitCmd() *cobra.Command {
	var dir, name string
	cmd := &cobra.Command{
		Use:       "init classification|regression [-C DIR] [--name NAME]",
		Short:     "Scaffold a working recipe offline: a scikit-learn train step exported to ONNX, evaluation data, criteria",
		Args:      cobra.ExactArgs(1),
		ValidArgs: recipe.Templates,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if name == "" {
				name = map[string]string{"classification": "iris", "regression": "diabetes"}[args[0]]
			}
			files, err := recipe.Init(dir, args[0], name)
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(cmd.OutOrStdout(), f)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "recipe %s scaffolded in %s: berth recipe run -C %s --registry-uri URI\n", name, dir, dir)
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", ".", "directory to scaffold into")
	cmd.Flags().StringVar(&name, "name", "", "the model's name (default: iris or diabetes)")
	return cmd
}
