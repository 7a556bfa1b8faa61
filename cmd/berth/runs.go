package main

import (
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/cmd/berth/internal/options"
)

func newRunsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "runs", Short: "List and show tracking runs"}
	cmd.AddCommand(newRunsListCmd(), newRunsShowCmd())
	return cmd
}

func newRunsListCmd() *cobra.Command {
	o := &options.Client{}
	var experiment, filter string
	var orderBy []string
	var max int
	cmd := &cobra.Command{
		Use:   "list --experiment NAME",
		Short: "List the runs of an experiment, with MLflow's filter and order_by",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.Client()
			if err != nil {
				return err
			}
			id, err := c.ExperimentID(cmd.Context(), experiment)
			if err != nil {
				return err
			}
			var resp mlflowrest.SearchRunsResponse
			req := mlflowrest.SearchRunsRequest{ExperimentIDs: []string{id}, Filter: filter, OrderBy: orderBy, MaxResults: mlflowrest.Int64(max)}
			if err := c.Post(cmd.Context(), "runs/search", req, &resp); err != nil {
				return err
			}
			return o.Print(cmd.OutOrStdout(), resp.Runs, func(w *tabwriter.Writer) {
				row(w, "RUN", "NAME", "STATUS", "STARTED", "METRICS")
				for _, r := range resp.Runs {
					var ms []string
					for _, m := range r.Data.Metrics {
						ms = append(ms, fmt.Sprintf("%s=%.4g", m.Key, float64(m.Value)))
					}
					row(w, r.Info.RunID, r.Info.RunName, r.Info.Status, msTime(int64(r.Info.StartTime)), strings.Join(ms, " "))
				}
			})
		},
	}
	o.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&experiment, "experiment", "Default", "experiment name or id")
	f.StringVar(&filter, "filter", "", `MLflow search filter, e.g. "metrics.acc > 0.9 AND params.lr = '0.1'"`)
	f.StringArrayVar(&orderBy, "order-by", nil, `order, e.g. "metrics.acc DESC" (repeatable)`)
	f.IntVar(&max, "max-results", 100, "how many runs at most")
	return cmd
}

func newRunsShowCmd() *cobra.Command {
	o := &options.Client{}
	cmd := &cobra.Command{
		Use:   "show RUN_ID",
		Short: "Show a run's params, metrics and tags",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.Client()
			if err != nil {
				return err
			}
			var resp mlflowrest.RunResponse
			if err := c.Get(cmd.Context(), "runs/get", url.Values{"run_id": {args[0]}}, &resp); err != nil {
				return err
			}
			r := resp.Run
			return o.Print(cmd.OutOrStdout(), r, func(w *tabwriter.Writer) {
				row(w, "run", r.Info.RunID)
				row(w, "name", r.Info.RunName)
				row(w, "status", r.Info.Status)
				row(w, "experiment", r.Info.ExperimentID)
				row(w, "artifacts", r.Info.ArtifactURI)
				for _, p := range r.Data.Params {
					row(w, "param "+p.Key, p.Value)
				}
				for _, m := range r.Data.Metrics {
					row(w, "metric "+m.Key, fmt.Sprintf("%v (step %d)", float64(m.Value), int64(m.Step)))
				}
				for _, t := range r.Data.Tags {
					row(w, "tag "+t.Key, t.Value)
				}
			})
		},
	}
	o.AddFlags(cmd)
	return cmd
}
