package deploy_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/berthml/berth/internal/iristest"
	"github.com/berthml/berth/internal/podmantest"
	"github.com/berthml/berth/pack"
)

const irisDir = "../testdata/models/iris_logreg"

// loadImage writes img as a docker tarball and loads it into p as ref.
func loadImage(t *testing.T, p *podmantest.Podman, img v1.Image, ref string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), strings.NewReplacer("/", "_", ":", "_").Replace(ref)+".tar")
	if err := pack.WriteTarball(f, img, ref); err != nil {
		t.Fatal(err)
	}
	p.Run("load", "-i", f)
}

// realImage packs iris with a freshly built berth and the ONNX Runtime
// library make ort fetches.
func realImage(t *testing.T) v1.Image {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	ort := filepath.Join(cache, "berth", "onnxruntime-1.30.0", "libonnxruntime.so.1")
	if _, err := os.Stat(ort); err != nil {
		t.Fatalf("no ONNX Runtime library (make ort): %v", err)
	}
	bin := filepath.Join(t.TempDir(), "berth")
	if out, err := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "../cmd/berth").CombinedOutput(); err != nil {
		t.Fatalf("building berth: %v\n%s", err, out)
	}
	img, err := pack.Build(context.Background(), irisDir, pack.WithBinary(bin), pack.WithORTLibrary(ort), pack.WithModelName("iris"))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// podmanArgs turns a rendered container into podman run's settings: the
// same command and arguments (bound to 127.0.0.1 and a free port on the
// host network instead of 0.0.0.0:8080 in a pod), the same user, read-only
// root filesystem, no capabilities and no privilege escalation, and a
// tmpfs for each emptyDir the pod mounts.
func podmanArgs(t *testing.T, pod corev1.PodSpec, c corev1.Container, port string, extra ...string) []string {
	t.Helper()
	sc := c.SecurityContext
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsUser == nil || sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Fatalf("the container %s sets no user or read-only root", c.Name)
	}
	uid := *pod.SecurityContext.RunAsUser
	args := []string{"--network=host", "--read-only", "--read-only-tmpfs=false", fmt.Sprintf("--user=%d:%d", uid, uid),
		"--cap-drop=ALL", "--security-opt=no-new-privileges"}
	empty := map[string]bool{}
	for _, v := range pod.Volumes {
		if v.EmptyDir != nil {
			empty[v.Name] = true
		}
	}
	for _, m := range c.VolumeMounts {
		if empty[m.Name] {
			args = append(args, fmt.Sprintf("--tmpfs=%s:rw,mode=1777", m.MountPath))
		}
	}
	args = append(args, extra...)
	args = append(args, "--entrypoint="+c.Command[0])
	return args
}

func containerArgs(c corev1.Container, port string) []string {
	var out []string
	for _, a := range c.Args {
		switch {
		case a == "--host=0.0.0.0":
			a = "--host=127.0.0.1"
		case strings.HasPrefix(a, "--port="):
			a = "--port=" + port
		}
		out = append(out, a)
	}
	return out
}

// waitProbe polls a probe's path as the kubelet does until it answers 200.
func waitProbe(t *testing.T, port string, probe *corev1.Probe) {
	t.Helper()
	url := "http://127.0.0.1:" + port + probe.HTTPGet.Path
	for range 300 {
		if r, err := http.Get(url); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s never answered 200", url)
}

// TestChartPodUnderPodman runs the packed iris image as the chart's serve
// Deployment runs it — its command and arguments, user, read-only root
// filesystem, dropped capabilities and emptyDir mounts — and checks its
// readiness and liveness probes and a scoring request. Then it runs the
// model as KServe runs a modelcar: the modelcar image's shell links its
// /models into a shared /mnt with KServe's own command, and the berth
// runtime of the chart's ClusterServingRuntime, in the modelcar's PID
// namespace, serves /mnt/models.
func TestChartPodUnderPodman(t *testing.T) {
	helm := helmBinary(t)
	p := podmantest.New(t)
	serveObjs := render(t, helm, filepath.Join(chartDir, "ci", "serve-image-values.yaml"))
	d := byKind[*appsv1.Deployment](serveObjs, "Deployment")["rel-berth-serve-iris"]
	pod, c := d.Spec.Template.Spec, d.Spec.Template.Spec.Containers[0]

	loadImage(t, p, realImage(t), "berth/iris:test")
	port := freePort(t)
	id := p.Start(append(append(podmanArgs(t, pod, c, port), "localhost/berth/iris:test"), containerArgs(c, port)...)...)
	waitProbe(t, port, c.StartupProbe)
	waitProbe(t, port, c.ReadinessProbe)
	waitProbe(t, port, c.LivenessProbe)
	iristest.CheckInvocations(t, "http://127.0.0.1:"+port)
	if user := p.Run("top", id, "user"); !strings.Contains(user, "berth") {
		t.Errorf("the server runs as %q, want berth (uid 65532)", user)
	}
	if ro := p.Run("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", id); ro != "true" {
		t.Errorf("read-only root filesystem: %s", ro)
	}

	t.Run("modelcar", func(t *testing.T) {
		car, err := pack.BuildModelcar(context.Background(), irisDir, pack.WithModelName("iris"))
		if err != nil {
			t.Fatal(err)
		}
		loadImage(t, p, car, "berth/iris-modelcar:test")
		shared := filepath.Join(t.TempDir(), "mnt")
		if err := os.Mkdir(shared, 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(shared, 0o777)
		// KServe's modelcar container: run as the runtime's user, its
		// command links the image's /models into the shared emptyDir.
		carID := p.Start("--network=host", "--read-only", "--user=65532:65532", "--cap-drop=ALL",
			"--security-opt=no-new-privileges", "-v", shared+":/mnt", "localhost/berth/iris-modelcar:test",
			"sh", "-c", "ln -sf /proc/$$/root/models /mnt/ && sleep infinity")
		for range 100 {
			if _, err := os.Lstat(filepath.Join(shared, "models")); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		rtObjs := render(t, helm, filepath.Join(chartDir, "ci", "monitoring-kserve-values.yaml"))
		var rt *kserveClusterServingRuntime
		for _, o := range rtObjs {
			if r, ok := o.Typed.(*kserveClusterServingRuntime); ok {
				rt = r
			}
		}
		if rt == nil {
			t.Fatal("no ClusterServingRuntime rendered")
		}
		rc := rt.Spec.Containers[0]
		rpod := corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{RunAsUser: pod.SecurityContext.RunAsUser}, Volumes: rt.Spec.Volumes}
		rport := freePort(t)
		args := podmanArgs(t, rpod, rc, rport, "-v", shared+":/mnt", "--pid=container:"+carID)
		p.Start(append(append(args, "localhost/berth/iris:test"), containerArgs(rc, rport)...)...)
		waitProbe(t, rport, rc.ReadinessProbe)
		waitProbe(t, rport, rc.LivenessProbe)
		iristest.CheckInvocations(t, "http://127.0.0.1:"+rport)
	})
}
