//go:build !servingonly

package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/internal/progress"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/pack"
	"github.com/berthml/berth/pack/modelpack"
)

type packOptions struct {
	src                           options.Source
	rt                            options.Runtime
	tag, layoutDir, tarball, name string
	base, platform                string
	oci                           options.OCI
	binary                        string
	modelName, modelVersion       string
	sourceDateEpoch               string
	artifact                      bool
	modelcar                      bool
	shell                         string
}

func newPackCmd(g *options.Log) *cobra.Command {
	o := &packOptions{}
	cmd := &cobra.Command{
		Use:   "pack MODEL (--tag REF | --oci-layout DIR | --tarball FILE)",
		Short: "Build a runnable OCI image of a model, without Docker",
		Long: `Build an OCI image that serves MODEL on port 8080 with berth, and push it
to a registry (--tag), write it to an OCI layout directory (--oci-layout) or
to a tarball that docker load and podman load read (--tarball); any of them
together.

MODEL is an MLflow model directory or a models:/ URI resolved against
--registry-uri; a registered prompt (prompts:/NAME@ALIAS, prompts:/NAME/VERSION)
is packed as the promptlab model berth serve makes of it (--prompt-endpoint),
and the image calls the gateway its MLFLOW_DEPLOYMENTS_TARGET and
MLFLOW_DEPLOYMENTS_TOKEN name when it runs. The image holds this berth binary, the ONNX Runtime library
(--ort-lib) and, without --base, the shared libraries both need, copied from
this host; then the model under /opt/ml/model, each file of 1 MiB or more in a
layer of its own. Packing the same inputs twice gives the same digest; set
SOURCE_DATE_EPOCH to choose the files' and the image's time.

--modelcar builds a KServe modelcar instead: the model under /models and a
static busybox as /bin/sh (from --modelcar-shell), nothing else; KServe
shares its /models with the berth serving runtime (deploy/kserve).`,
		Example: `  berth pack testdata/models/iris_logreg --tag 127.0.0.1:5000/iris:1 --insecure
  berth pack ./iris --oci-layout ./images --name iris:1
  berth pack models:/iris/3 --tarball iris.tar --registry-uri http://127.0.0.1:5000
  berth pack prompts:/qa@production --prompt-endpoint chat --oci-layout ./images --name qa:1 --registry-uri http://127.0.0.1:5000
  podman run --rm --network=host oci:./images:1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.Logger(os.Stderr)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("source-date-epoch") {
				o.sourceDateEpoch = os.Getenv("SOURCE_DATE_EPOCH")
			}
			return runPack(cmd.Context(), o, args[0], cmd.OutOrStdout(), log)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.tag, "tag", "t", "", "push the image to this reference, e.g. registry.example.com/iris:1")
	f.StringVar(&o.layoutDir, "oci-layout", "", "write the image into this OCI image layout directory")
	f.StringVar(&o.tarball, "tarball", "", "write the image to this docker/podman load tarball")
	f.StringVar(&o.name, "name", "", "image name in the tarball, and its tag in the layout (default: --tag, else berth/MODEL:VERSION)")
	f.StringVar(&o.base, "base", "", "base image (a registry reference or oci:DIR[:TAG]) that provides the C/C++ runtime libraries (default: copy them from this host)")
	f.StringVar(&o.platform, "platform", "linux/amd64", "image platform OS/ARCH[/VARIANT]")
	f.StringVar(&o.binary, "binary", "", "berth binary to put in the image (default: "+servingBinary+" beside this executable when present, else this executable)")
	f.StringVar(&o.modelName, "model-name", "", "model name in the labels (default: the directory's or registered model's name)")
	f.StringVar(&o.modelVersion, "model-version", "", "model version in the labels (default: the registered version)")
	f.StringVar(&o.sourceDateEpoch, "source-date-epoch", "", "Unix time of the files and the image (default: $SOURCE_DATE_EPOCH, else the file times are 0 and the image time is the MLmodel's)")
	f.BoolVar(&o.modelcar, "modelcar", false, "build a KServe modelcar instead: the model under /models and a static busybox as /bin/sh, no berth (docs/kubernetes.md)")
	f.StringVar(&o.shell, "modelcar-shell", pack.DefaultShell, "with --modelcar: the static busybox to put in the image (Debian's busybox-static)")
	f.BoolVar(&o.artifact, "artifact", false, "push the model alone as a CNCF ModelPack artifact instead of a runnable image (berth pull fetches it back)")
	o.src.AddFlags(cmd)
	o.rt.AddFlags(cmd)
	o.oci.AddFlags(cmd)
	f.Lookup("ort-lib").Usage = "path to libonnxruntime.so to put in the image (default: the cache that \"make ort\" fills)"
	return cmd
}

func runPack(ctx context.Context, o *packOptions, model string, out io.Writer, log *slog.Logger) error {
	if o.tag == "" && o.layoutDir == "" && o.tarball == "" {
		return errors.New("say where the image goes: --tag, --oci-layout or --tarball")
	}
	if o.modelcar && o.artifact {
		return errors.New("--modelcar and --artifact: choose one")
	}
	if o.modelcar && o.base != "" {
		return errors.New("--modelcar takes no --base: a modelcar holds the model and a shell only")
	}
	if o.tag != "" { // fail before packing
		if err := pack.CheckReference(o.tag, o.oci.Insecure); err != nil {
			return err
		}
	}
	opts, err := o.buildOptions()
	if err != nil {
		return err
	}
	f, err := o.src.Fetch(ctx, model, log)
	if err != nil {
		return err
	}
	name, version, registered := o.modelName, o.modelVersion, f.Version
	if registered != nil {
		name, version = cmp.Or(name, registered.Name), cmp.Or(version, registered.Version)
		opts = append(opts, pack.WithSource(f.URI.String()))
	}
	if o.artifact {
		return packArtifact(ctx, o, f.Dir, name, version, registered, out)
	}
	opts = append(opts, pack.WithModelName(name), pack.WithModelVersion(version))

	bars := progress.NewBars(os.Stderr)
	draw := pack.WithProgress(func(p pack.Progress) { drawPack(bars, p) })
	start := time.Now()
	build := pack.Build
	if o.modelcar {
		build = pack.BuildModelcar
		opts = append(opts, pack.WithShell(o.shell))
	}
	img, err := build(ctx, f.Dir, append(opts, draw)...)
	bars.Done()
	if err != nil {
		return err
	}
	log.Debug("built", "model", f.Dir, "elapsed", time.Since(start).Round(time.Millisecond))
	d, err := pack.Deliver(ctx, img, pack.Outputs{Tag: o.tag, Layout: o.layoutDir, Tarball: o.tarball, Name: o.name, Out: out},
		append(opts, draw)...)
	bars.Done()
	if err != nil {
		return err
	}
	if o.tag != "" {
		key := "berth.image"
		if o.modelcar {
			key = "berth.modelcar"
		}
		if err := recordPush(ctx, o, registered, key, o.tag+"@"+d.Digest.String()); err != nil {
			return err
		}
	}
	s, err := pack.Describe(img)
	if err != nil {
		return err
	}
	printSummary(out, s)
	return nil
}

// buildOptions are the image's settings from the flags.
func (o *packOptions) buildOptions() ([]pack.Option, error) {
	platform, err := v1.ParsePlatform(o.platform)
	if err != nil {
		return nil, fmt.Errorf("--platform: %w", err)
	}
	binary := o.binary
	if binary == "" {
		binary = defaultImageBinary(os.Executable)
	}
	opts := []pack.Option{pack.WithBinary(binary), pack.WithBase(o.base), pack.WithPlatform(*platform), pack.WithInsecure(o.oci.Insecure)}
	if !o.modelcar { // a modelcar holds no ONNX Runtime
		ortLib, err := o.rt.LibraryPath()
		if err != nil {
			return nil, err
		}
		opts = append(opts, pack.WithORTLibrary(ortLib))
	}
	if o.sourceDateEpoch != "" {
		t, err := pack.ParseSourceDateEpoch(o.sourceDateEpoch)
		if err != nil {
			return nil, err
		}
		opts = append(opts, pack.WithTime(t))
	}
	return opts, nil
}

// packArtifact pushes the model directory alone as a ModelPack artifact.
func packArtifact(ctx context.Context, o *packOptions, dir, name, version string, registered *modeluri.Version, out io.Writer) error {
	if o.tag == "" || o.layoutDir != "" || o.tarball != "" {
		return errors.New("--artifact pushes to a registry: give --tag (and neither --oci-layout nor --tarball)")
	}
	opts := []modelpack.Option{modelpack.WithName(name), modelpack.WithVersion(version)}
	if o.sourceDateEpoch != "" {
		t, err := modelpack.ParseSourceDateEpoch(o.sourceDateEpoch)
		if err != nil {
			return err
		}
		opts = append(opts, modelpack.WithCreated(t))
	}
	img, err := modelpack.Build(dir, opts...)
	if err != nil {
		return err
	}
	d, err := modelpack.Push(ctx, img, o.tag, modelpack.WithInsecure(o.oci.Insecure))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "pushed ModelPack artifact %s@%s\n", o.tag, d)
	return recordPush(ctx, o, registered, "berth.artifact", o.tag+"@"+d.String())
}

// recordPush tags the registered model version (or the MLflow 3 logged
// model) the image or artifact was packed from with where it was pushed.
func recordPush(ctx context.Context, o *packOptions, v *modeluri.Version, key, ref string) error {
	if v == nil {
		return nil
	}
	c := o.src.NewClient()
	if v.LoggedModelID != "" {
		if err := c.Do(ctx, http.MethodPatch, mlflowrest.APIPrefix+"logged-models/"+url.PathEscape(v.LoggedModelID)+"/tags", nil,
			mlflowrest.SetLoggedModelTagsRequest{Tags: []mlflowrest.LoggedModelTag{{Key: key, Value: ref}}}, nil); err != nil {
			return fmt.Errorf("recording %s on logged model %s: %w", ref, v.LoggedModelID, err)
		}
		return nil
	}
	if err := c.Post(ctx, "model-versions/set-tag", mlflowrest.SetModelVersionTagRequest{
		Name: v.Name, Version: v.Version, Key: key, Value: ref}, nil); err != nil {
		return fmt.Errorf("recording %s on %s version %s: %w", ref, v.Name, v.Version, err)
	}
	return nil
}

func printSummary(w io.Writer, s *pack.Summary) {
	fmt.Fprintf(w, "digest %s\n", s.Digest)
	fmt.Fprintf(w, "size   %s compressed, %s uncompressed\n", progress.Bytes(s.Size), progress.Bytes(s.Uncompressed))
	for _, l := range s.Layers {
		fmt.Fprintf(w, "  %s  %9s  %9s  %s\n", l.Digest.Hex[:12], progress.Bytes(l.Size), progress.Bytes(l.Uncompressed), l.CreatedBy)
	}
}

// drawPack draws pack's progress: a line per layer packed, then a bar per
// layer pushed and one for the whole push.
func drawPack(b *progress.Bars, p pack.Progress) {
	switch p.Phase {
	case "layer":
		b.Line(fmt.Sprintf("packed layer %d/%d: %s", p.Complete, p.Total, p.Layer))
	case "push":
		label := "total"
		if p.Layer != "" {
			label = p.Layer[len("sha256:"):][:12]
		}
		b.Bar(p.Layer, label, p.Complete, p.Total)
	}
}

// servingBinary is the name of the servingonly build (make build writes it
// beside bin/berth): the commands an image runs, without the tracking
// server, the gateway, packing and projects, so images stay small.
const servingBinary = "berth-serving"

// defaultImageBinary is the binary an image gets when --binary is not given:
// berth-serving beside the running executable when it exists, else the
// running executable ("" lets pack find it and report its error).
func defaultImageBinary(executable func() (string, error)) string {
	self, err := executable()
	if err != nil {
		return ""
	}
	slim := filepath.Join(filepath.Dir(self), servingBinary)
	if fi, err := os.Stat(slim); err == nil && fi.Mode().IsRegular() {
		return slim
	}
	return self
}
