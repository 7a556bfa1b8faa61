package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/berthml/berth/pack/modelpack"
)

type pullOptions struct {
	oci ociOptions
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
	p := newPullProgress(tty)
	res, err := modelpack.Pull(ctx, ref, dir, modelpack.WithInsecure(o.oci.insecure), modelpack.WithProgress(p.update))
	p.done()
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

// pullProgress draws one status line on a terminal; elsewhere it is quiet.
type pullProgress struct {
	w   io.Writer
	tty bool
	on  bool
}

func newPullProgress(f *os.File) *pullProgress {
	return &pullProgress{w: f, tty: f != nil && isatty.IsTerminal(f.Fd())}
}

func (p *pullProgress) update(u modelpack.Progress) {
	if !p.tty {
		return
	}
	p.on = true
	pct := 0
	if u.Total > 0 {
		pct = int(u.Complete * 100 / u.Total)
	}
	fmt.Fprintf(p.w, "\r\033[Kpulling %3d%% %s", pct, u.Path)
}

func (p *pullProgress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
		p.on = false
	}
}
