//go:build !servingonly

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/internal/progress"
	"github.com/berthml/berth/pack/modelpack"
)

type pullOptions struct {
	oci options.OCI
}

func newPullCmd() *cobra.Command {
	o := &pullOptions{}
	cmd := &cobra.Command{
		Use:   "pull REF DIR",
		Short: "Fetch a model from an OCI registry into a directory that berth serve runs",
		Long: `Fetch REF, a CNCF ModelPack artifact (berth pack --artifact) or a runnable
image made by berth pack (its /opt/ml/model), into DIR, which must not exist
or be empty. Paths and digests from the registry are checked; on any error
DIR is left as it was. Credentials come from ~/.docker/config.json.`,
		Example: `  berth pull registry.example.com/models/iris:1 ./iris
  berth pull --insecure localhost:5000/iris@sha256:... ./iris && berth serve ./iris`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd.Context(), o, args[0], args[1], cmd.OutOrStdout(), os.Stderr)
		},
	}
	o.oci.AddFlags(cmd)
	return cmd
}

func runPull(ctx context.Context, o *pullOptions, ref, dir string, out io.Writer, tty *os.File) error {
	p := progress.NewStatus(tty)
	res, err := modelpack.Pull(ctx, ref, dir, modelpack.WithInsecure(o.oci.Insecure),
		modelpack.WithProgress(func(u modelpack.Progress) { p.Update("pulling", u.Path, u.Complete, u.Total) }))
	p.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "pulled %s (%s, %s) into %s\n", ref, res.Kind, res.Digest, res.Dir)
	width := 1
	for _, f := range res.Files {
		width = max(width, len(strconv.FormatInt(f.Size, 10)))
	}
	for _, f := range res.Files {
		fmt.Fprintf(out, "  %*d  %s\n", width, f.Size, f.Path)
	}
	return nil
}
