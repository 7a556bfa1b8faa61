package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/drift/writeback"
	"github.com/berthml/berth/modeluri"
)

func newModelsCmd(g *options.Log) *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "List, show, register, alias and tag registered models"}
	cmd.AddCommand(newModelsListCmd(), newModelsShowCmd(), newModelsRegisterCmd(g), newModelsAliasCmd(), newModelsTagCmd())
	return cmd
}

func msTime(t int64) string {
	if t == 0 {
		return ""
	}
	return time.UnixMilli(t).UTC().Format("2006-01-02 15:04:05")
}

func newModelsListCmd() *cobra.Command {
	o := &options.Client{}
	var filter string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List registered models",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.Client()
			if err != nil {
				return err
			}
			ms, err := c.SearchRegisteredModels(cmd.Context(), filter)
			if err != nil {
				return err
			}
			return o.Print(cmd.OutOrStdout(), ms, func(w *tabwriter.Writer) {
				row(w, "NAME", "LATEST", "ALIASES", "UPDATED")
				for _, m := range ms {
					latest := ""
					for _, v := range m.LatestVersions {
						latest = v.Version
					}
					row(w, m.Name, latest, aliasesOf(m.Aliases, ""), msTime(m.LastUpdatedTimestamp))
				}
			})
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().StringVar(&filter, "filter", "", `MLflow search filter, e.g. "name LIKE 'iris%'"`)
	return cmd
}

func newModelsShowCmd() *cobra.Command {
	o := &options.Client{}
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a registered model and its versions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.Client()
			if err != nil {
				return err
			}
			m, err := c.GetRegisteredModel(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			vs, err := c.ModelVersions(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := struct {
				Model    *mlflowrest.RegisteredModel `json:"registered_model"`
				Versions []mlflowrest.ModelVersion   `json:"model_versions"`
			}{m, vs}
			return o.Print(cmd.OutOrStdout(), out, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "%s\t%s\n", m.Name, m.Description)
				row(w, "VERSION", "STAGE", "ALIASES", "STATUS", "DRIFT", "RUN", "SOURCE", "CREATED")
				for _, v := range vs {
					row(w, v.Version, v.CurrentStage, aliasesOf(m.Aliases, v.Version), v.Status, writeback.StatusOf(v.Tags),
						v.RunID, v.Source, msTime(v.CreationTimestamp))
				}
			})
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func newModelsRegisterCmd(g *options.Log) *cobra.Command {
	o := &options.Client{}
	var name, experiment, alias string
	cmd := &cobra.Command{
		Use:   "register DIR --name NAME",
		Short: "Upload an MLflow model directory and register it as a new version",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.Client()
			if err != nil {
				return err
			}
			log, err := g.Logger(os.Stderr)
			if err != nil {
				return err
			}
			if name == "" {
				return fmt.Errorf("--name is required")
			}
			v, err := modeluri.Register(cmd.Context(), c, modeluri.Registration{
				Dir: args[0], Name: name, Experiment: experiment,
				Progress: func(p modeluri.Progress) {
					log.Debug("uploading", "file", p.File, "files", fmt.Sprintf("%d/%d", p.Files, p.TotalFiles))
				},
			})
			if err != nil {
				return err
			}
			if alias != "" {
				if err := c.SetAlias(cmd.Context(), name, alias, v.Version); err != nil {
					return err
				}
			}
			return o.Print(cmd.OutOrStdout(), v, func(w *tabwriter.Writer) {
				row(w, "NAME", "VERSION", "ALIAS", "SOURCE")
				row(w, v.Name, v.Version, alias, v.Source)
			})
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().StringVar(&name, "name", "", "registered model name")
	cmd.Flags().StringVar(&experiment, "experiment", "berth-models", "experiment of the run that holds the files")
	cmd.Flags().StringVar(&alias, "alias", "", "also point this alias at the new version")
	return cmd
}

func newModelsAliasCmd() *cobra.Command {
	o := &options.Client{}
	var del bool
	cmd := &cobra.Command{
		Use:   "alias NAME ALIAS [VERSION]",
		Short: "Point an alias at a version (or remove it with --delete)",
		Args:  cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.Client()
			if err != nil {
				return err
			}
			name, alias := args[0], args[1]
			if del {
				return c.DeleteAlias(cmd.Context(), name, alias)
			}
			if len(args) != 3 {
				return fmt.Errorf("give the VERSION the alias should point at (or --delete)")
			}
			if err := c.SetAlias(cmd.Context(), name, alias, args[2]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s@%s -> version %s\n", name, alias, args[2])
			return nil
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().BoolVar(&del, "delete", false, "remove the alias")
	return cmd
}

func newModelsTagCmd() *cobra.Command {
	o := &options.Client{}
	cmd := &cobra.Command{
		Use:   "tag NAME[/VERSION] KEY=VALUE ...",
		Short: "Set tags on a registered model or one of its versions",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.Client()
			if err != nil {
				return err
			}
			name, version, _ := strings.Cut(args[0], "/")
			for _, kv := range args[1:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("tag %q must be KEY=VALUE", kv)
				}
				if version == "" {
					err = c.Post(cmd.Context(), "registered-models/set-tag", mlflowrest.SetRegisteredModelTagRequest{Name: name, Key: k, Value: v}, nil)
				} else {
					err = c.Post(cmd.Context(), "model-versions/set-tag", mlflowrest.SetModelVersionTagRequest{Name: name, Version: version, Key: k, Value: v}, nil)
				}
				if err != nil {
					return err
				}
			}
			return nil
		},
	}
	o.AddFlags(cmd)
	return cmd
}
