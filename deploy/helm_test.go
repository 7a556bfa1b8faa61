package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// HelmVersion is the helm release the chart tests run, built once by
// scripts/fetch-helm.sh (make tools) into the user cache.
const HelmVersion = "v4.3.2"

const chartDir = "helm/berth"

// helmBinary finds the helm that scripts/fetch-helm.sh builds: $BERTH_HELM,
// else <user cache dir>/berth/helm-<HelmVersion>/helm. Missing, it fails
// the test under BERTH_REQUIRE_TOOLS=1 and skips it otherwise.
func helmBinary(t *testing.T) string {
	t.Helper()
	p := os.Getenv("BERTH_HELM")
	if p == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		p = filepath.Join(cache, "berth", "helm-"+HelmVersion, "helm")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			t.Fatalf("BERTH_REQUIRE_TOOLS=1 and helm %s not found at %s (run scripts/fetch-helm.sh, or make tools)", HelmVersion, p)
		}
		t.Skipf("skipping: helm %s not found at %s (run scripts/fetch-helm.sh)", HelmVersion, p)
	}
	return p
}

// object is one rendered manifest: its type and its JSON.
type object struct {
	APIVersion, Kind, Name string
	JSON                   []byte
	Typed                  any
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// decodeManifests splits a multi-document YAML stream and decodes every
// object strictly (unknown or duplicate fields, case-sensitively, are
// errors) into its k8s.io/api, prometheus-operator or KServe Go type; a kind
// it does not know is an error too.
func decodeManifests(stream []byte) ([]object, error) {
	var objs []object
	for i, doc := range docSep.Split(string(stream), -1) {
		js, err := sigsyaml.YAMLToJSONStrict([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if s := strings.TrimSpace(string(js)); s == "null" || s == "" {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(js, &head); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		o := object{APIVersion: head.APIVersion, Kind: head.Kind, Name: head.Metadata.Name, JSON: js}
		switch head.APIVersion + " " + head.Kind {
		case "v1 Secret":
			o.Typed = &corev1.Secret{}
		case "v1 ConfigMap":
			o.Typed = &corev1.ConfigMap{}
		case "v1 Service":
			o.Typed = &corev1.Service{}
		case "v1 ServiceAccount":
			o.Typed = &corev1.ServiceAccount{}
		case "v1 PersistentVolumeClaim":
			o.Typed = &corev1.PersistentVolumeClaim{}
		case "apps/v1 Deployment":
			o.Typed = &appsv1.Deployment{}
		case "autoscaling/v2 HorizontalPodAutoscaler":
			o.Typed = &autoscalingv2.HorizontalPodAutoscaler{}
		case "policy/v1 PodDisruptionBudget":
			o.Typed = &policyv1.PodDisruptionBudget{}
		case "monitoring.coreos.com/v1 ServiceMonitor":
			o.Typed = &monitoringv1.ServiceMonitor{}
		case "monitoring.coreos.com/v1 PrometheusRule":
			o.Typed = &monitoringv1.PrometheusRule{}
		case "serving.kserve.io/v1alpha1 ClusterServingRuntime":
			o.Typed = &kserveClusterServingRuntime{}
		case "serving.kserve.io/v1beta1 InferenceService":
			o.Typed = &kserveInferenceService{}
		default:
			return nil, fmt.Errorf("document %d: %s %s %q: no Go type known for it", i, head.APIVersion, head.Kind, head.Metadata.Name)
		}
		strict, err := sigsjson.UnmarshalStrict(js, o.Typed, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", head.Kind, head.Metadata.Name, err)
		}
		if len(strict) > 0 {
			return nil, fmt.Errorf("%s %q: %v", head.Kind, head.Metadata.Name, strict)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

func helmTemplate(t *testing.T, helm string, values ...string) ([]byte, error) {
	t.Helper()
	args := []string{"template", "rel", chartDir, "--namespace", "ml"}
	for _, v := range values {
		args = append(args, "--values", v)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(helm, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

func render(t *testing.T, helm string, values ...string) []object {
	t.Helper()
	out, err := helmTemplate(t, helm, values...)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeManifests(out)
	if err != nil {
		t.Fatalf("values %v: %v", values, err)
	}
	if len(objs) == 0 {
		t.Fatalf("values %v: nothing rendered", values)
	}
	checkCoherent(t, objs)
	return objs
}

// valueSets are the chart's example values under helm/berth/ci (the
// directory chart-testing reads too).
func valueSets(t *testing.T) []string {
	t.Helper()
	sets, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil || len(sets) < 6 {
		t.Fatalf("want at least 6 value sets under %s/ci, got %v (%v)", chartDir, sets, err)
	}
	return sets
}

func TestHelmLint(t *testing.T) {
	helm := helmBinary(t)
	for _, v := range append([]string{""}, valueSets(t)...) {
		args := []string{"lint", chartDir, "--strict"}
		if v != "" {
			args = append(args, "--values", v)
		}
		if out, err := exec.Command(helm, args...).CombinedOutput(); err != nil {
			t.Errorf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// byKind returns the typed objects of one kind, by name.
func byKind[T any](objs []object, kind string) map[string]T {
	m := map[string]T{}
	for _, o := range objs {
		if o.Kind == kind {
			m[o.Name] = o.Typed.(T)
		}
	}
	return m
}

// checkCoherent checks what the API server would not: every berth
// container runs as the non-root uid with a read-only root filesystem and
// HTTP probes, every volume mount names a volume, every Service, PDB and
// HPA finds the pods it is for, and every Secret a container reads is
// rendered or named in the values as made outside the chart.
func checkCoherent(t *testing.T, objs []object) {
	t.Helper()
	deps := byKind[*appsv1.Deployment](objs, "Deployment")
	secrets := byKind[*corev1.Secret](objs, "Secret")
	external := map[string]bool{"berth-s3": true, "berth-tokens": true, "llm-provider-keys": true}
	matchesPods := func(sel map[string]string) int {
		n := 0
		for _, d := range deps {
			ok := true
			for k, v := range sel {
				if d.Spec.Template.Labels[k] != v {
					ok = false
				}
			}
			if ok {
				n++
			}
		}
		return n
	}
	for name, d := range deps {
		pod := d.Spec.Template.Spec
		if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
			pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser != 65532 {
			t.Errorf("Deployment %s: pod does not run as non-root uid 65532: %+v", name, pod.SecurityContext)
		}
		if matchesPods(d.Spec.Selector.MatchLabels) == 0 {
			t.Errorf("Deployment %s: selector %v does not match its own pods", name, d.Spec.Selector.MatchLabels)
		}
		vols := map[string]bool{}
		for _, v := range pod.Volumes {
			vols[v.Name] = true
		}
		for _, c := range pod.Containers {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil ||
				len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
				t.Errorf("Deployment %s container %s: security context %+v, want read-only root, no escalation, drop ALL", name, c.Name, sc)
			}
			if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil {
				t.Errorf("Deployment %s container %s: want HTTP readiness and liveness probes", name, c.Name)
			}
			if c.Resources.Requests.Memory().IsZero() {
				t.Errorf("Deployment %s container %s: no memory request", name, c.Name)
			}
			for _, m := range c.VolumeMounts {
				if !vols[m.Name] {
					t.Errorf("Deployment %s container %s: mount %s names no volume", name, c.Name, m.Name)
				}
			}
			refs := []string{}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					refs = append(refs, e.ValueFrom.SecretKeyRef.Name)
				}
			}
			for _, e := range c.EnvFrom {
				if e.SecretRef != nil {
					refs = append(refs, e.SecretRef.Name)
				}
			}
			for _, r := range refs {
				if secrets[r] == nil && !external[r] {
					t.Errorf("Deployment %s container %s: reads Secret %s, which is neither rendered nor made outside the chart", name, c.Name, r)
				}
			}
		}
	}
	for name, s := range byKind[*corev1.Service](objs, "Service") {
		if matchesPods(s.Spec.Selector) != 1 {
			t.Errorf("Service %s: selector %v matches %d Deployments, want 1", name, s.Spec.Selector, matchesPods(s.Spec.Selector))
		}
	}
	for name, p := range byKind[*policyv1.PodDisruptionBudget](objs, "PodDisruptionBudget") {
		if matchesPods(p.Spec.Selector.MatchLabels) != 1 {
			t.Errorf("PodDisruptionBudget %s: selector matches %d Deployments, want 1", name, matchesPods(p.Spec.Selector.MatchLabels))
		}
	}
	for name, h := range byKind[*autoscalingv2.HorizontalPodAutoscaler](objs, "HorizontalPodAutoscaler") {
		if deps[h.Spec.ScaleTargetRef.Name] == nil || h.Spec.ScaleTargetRef.Kind != "Deployment" {
			t.Errorf("HorizontalPodAutoscaler %s: target %+v is not a rendered Deployment", name, h.Spec.ScaleTargetRef)
		}
	}
}

func container(t *testing.T, objs []object, deployment string) corev1.Container {
	t.Helper()
	d := byKind[*appsv1.Deployment](objs, "Deployment")[deployment]
	if d == nil {
		t.Fatalf("no Deployment %s", deployment)
	}
	return d.Spec.Template.Spec.Containers[0]
}

func envNames(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

func hasArg(c corev1.Container, arg string) bool {
	for _, a := range c.Args {
		if a == arg {
			return true
		}
	}
	return false
}

func TestHelmTemplateValueSets(t *testing.T) {
	helm := helmBinary(t)
	for _, v := range valueSets(t) {
		t.Run(filepath.Base(v), func(t *testing.T) {
			objs := render(t, helm, v)
			switch filepath.Base(v) {
			case "embedded-values.yaml":
				c := container(t, objs, "rel-berth-server")
				if !hasArg(c, "--backend-store-uri=sqlite:////data/berth.db") || !hasArg(c, "--artifacts-destination=/data/artifacts") {
					t.Errorf("embedded server args %v", c.Args)
				}
				d := byKind[*appsv1.Deployment](objs, "Deployment")["rel-berth-server"]
				if *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
					t.Errorf("embedded server: replicas %d strategy %s, want 1 and Recreate", *d.Spec.Replicas, d.Spec.Strategy.Type)
				}
				if byKind[*corev1.PersistentVolumeClaim](objs, "PersistentVolumeClaim")["rel-berth-server-data"] == nil {
					t.Error("embedded server: no PVC")
				}
				if s := byKind[*corev1.Secret](objs, "Secret")["rel-berth-tokens"]; s == nil || s.StringData["readTokens"] != "r1,r2" {
					t.Errorf("token Secret %+v", s)
				}
			case "external-values.yaml":
				c := container(t, objs, "rel-berth-server")
				env := envNames(c)
				if env["MLFLOW_S3_ENDPOINT_URL"].Value != "http://seaweedfs-s3:8333" || env["AWS_REGION"].Value != "us-east-1" ||
					env["BERTH_BACKEND_STORE_URI"].ValueFrom.SecretKeyRef.Name != "rel-berth-database" {
					t.Errorf("external server env %+v", c.Env)
				}
				if !hasArg(c, "--artifacts-destination=s3://berth-artifacts/mlflow") || len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef.Name != "berth-s3" {
					t.Errorf("external server args %v envFrom %+v", c.Args, c.EnvFrom)
				}
				if !strings.Contains(c.Image, "@sha256:") {
					t.Errorf("image %s, want the digest", c.Image)
				}
				if byKind[*corev1.PersistentVolumeClaim](objs, "PersistentVolumeClaim")["rel-berth-server-data"] != nil {
					t.Error("external server renders a PVC")
				}
				if byKind[*policyv1.PodDisruptionBudget](objs, "PodDisruptionBudget")["rel-berth-server"] == nil {
					t.Error("3 server replicas and no PDB")
				}
				if byKind[*corev1.Secret](objs, "Secret")["rel-berth-tokens"] != nil {
					t.Error("tokens.existingSecret set, yet the chart renders a token Secret")
				}
			case "serve-image-values.yaml":
				c := container(t, objs, "rel-berth-serve-iris")
				if c.Image != "registry.example/models/iris:3" || !hasArg(c, "/opt/ml/model") {
					t.Errorf("serve from image: %s %v", c.Image, c.Args)
				}
				if c.ReadinessProbe.HTTPGet.Path != "/v2/health/ready" || c.LivenessProbe.HTTPGet.Path != "/health" {
					t.Errorf("probes %s %s", c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path)
				}
				// 40 MiB × 3 + 128 MiB.
				if got := c.Resources.Requests.Memory().String(); got != "248Mi" {
					t.Errorf("iris memory request %s, want 248Mi from its size", got)
				}
				big := container(t, objs, "rel-berth-serve-big")
				if got := big.Resources.Requests.Memory().String(); got != "3128Mi" {
					t.Errorf("big memory request %s, want 3128Mi", got)
				}
				hpas := byKind[*autoscalingv2.HorizontalPodAutoscaler](objs, "HorizontalPodAutoscaler")
				if h := hpas["rel-berth-serve-iris"]; h == nil || h.Spec.Metrics[0].Pods.Metric.Name != "berth_requests_in_flight" {
					t.Errorf("iris HPA %+v", h)
				}
				if hpas["rel-berth-serve-big"] != nil {
					t.Error("big turned autoscaling off, yet has an HPA")
				}
				if d := byKind[*appsv1.Deployment](objs, "Deployment")["rel-berth-serve-big"]; d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
					t.Errorf("big replicas %v, want 3", d.Spec.Replicas)
				}
				if _, ok := byKind[*appsv1.Deployment](objs, "Deployment")["rel-berth-server"]; ok {
					t.Error("server.enabled false, yet a server is rendered")
				}
			case "serve-uri-values.yaml":
				c := container(t, objs, "rel-berth-serve-churn")
				if !hasArg(c, "models:/churn@champion") || !hasArg(c, "--registry-uri=http://rel-berth-server:5000") {
					t.Errorf("serve from models:/ args %v", c.Args)
				}
				if envNames(c)["BERTH_REGISTRY_TOKEN"].ValueFrom == nil {
					t.Error("no registry token from the Secret")
				}
				if byKind[*policyv1.PodDisruptionBudget](objs, "PodDisruptionBudget")["rel-berth-serve-churn"] != nil {
					t.Error("churn turned its PDB off, yet has one")
				}
			case "gateway-values.yaml":
				c := container(t, objs, "rel-berth-gateway")
				if !hasArg(c, "--config=/etc/berth/gateway.yaml") || !hasArg(c, "--gateway-keys") {
					t.Errorf("gateway args %v", c.Args)
				}
				cm := byKind[*corev1.ConfigMap](objs, "ConfigMap")["rel-berth-gateway"]
				if cm == nil || !strings.Contains(cm.Data["gateway.yaml"], "endpoint_type: llm/v1/chat") {
					t.Errorf("gateway ConfigMap %+v", cm)
				}
			case "monitoring-kserve-values.yaml":
				sm := byKind[*monitoringv1.ServiceMonitor](objs, "ServiceMonitor")["rel-berth"]
				if sm == nil || sm.Spec.Endpoints[0].Path != "/metrics" || sm.Labels["release"] != "kube-prometheus-stack" {
					t.Errorf("ServiceMonitor %+v", sm)
				}
				checkPrometheusRule(t, objs)
				checkCRD(t, objs, "ServiceMonitor", serviceMonitorCRD)
				cm := byKind[*corev1.ConfigMap](objs, "ConfigMap")["rel-berth-dashboard"]
				want, err := os.ReadFile(dashboardFile)
				if err != nil {
					t.Fatal(err)
				}
				if cm == nil || strings.TrimSpace(cm.Data["berth.json"]) != strings.TrimSpace(string(want)) {
					t.Error("the dashboard ConfigMap does not hold deploy/grafana/berth.json")
				}
				rt := byKind[*kserveClusterServingRuntime](objs, "ClusterServingRuntime")["berth"]
				if rt == nil || rt.Spec.Containers[0].Args[1] != "/mnt/models" || rt.Spec.ProtocolVersions[0] != "v2" {
					t.Errorf("ClusterServingRuntime %+v", rt)
				}
			default:
				t.Fatalf("value set %s has no checks here", v)
			}
		})
	}
}

// TestHelmTemplateRefuses: values that cannot work fail at template time
// with a message naming the value, not in the cluster.
func TestHelmTemplateRefuses(t *testing.T) {
	helm := helmBinary(t)
	dir := t.TempDir()
	for _, tc := range []struct{ name, values, want string }{
		{"embedded with replicas", "image: {repository: x}\nserver: {replicas: 3}\n", "server.mode embedded runs one replica"},
		{"external without database", "image: {repository: x}\nserver: {mode: external, artifacts: {destination: s3://b}}\n", "server.database.uri"},
		{"external without bucket", "image: {repository: x}\nserver: {mode: external, database: {uri: postgresql://h/db}}\n", "server.artifacts.destination"},
		{"no image", "server: {enabled: true}\n", "an image is required"},
		{"model with image and uri", "image: {repository: x}\nmodels: [{name: a, uri: models:/a@b, image: {repository: y}}]\n", "exactly one of image"},
		{"model with a bad uri", "image: {repository: x}\nmodels: [{name: a, uri: runs:/x/model}]\n", "must be a models:/ URI"},
		{"model with a bad name", "image: {repository: x}\nmodels: [{name: Iris_1, image: {repository: y}}]\n", "must be a DNS label"},
		{"gateway without config", "image: {repository: x}\ngateway: {enabled: true}\n", "gateway.config"},
		{"bad mode", "image: {repository: x}\nserver: {mode: cluster}\n", "server.mode must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if err := os.WriteFile(f, []byte(tc.values), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := helmTemplate(t, helm, f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestChartFilesMatchDeploy: the chart carries copies of the dashboard and
// alert rules (helm cannot read files outside the chart); they must stay
// the files deploy/'s own tests check.
func TestChartFilesMatchDeploy(t *testing.T) {
	for chart, src := range map[string]string{
		filepath.Join(chartDir, "files", "dashboard.json"): dashboardFile,
		filepath.Join(chartDir, "files", "alerts.yml"):     alertsFile,
	} {
		a, err := os.ReadFile(chart)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s: cp %s %s", chart, src, src, chart)
		}
	}
}

// TestKServeExamples decodes deploy/kserve's InferenceServices strictly.
func TestKServeExamples(t *testing.T) {
	files, err := filepath.Glob("kserve/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("want the KServe examples under deploy/kserve, got %v (%v)", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeManifests(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, o := range objs {
			isvc, ok := o.Typed.(*kserveInferenceService)
			if !ok {
				t.Errorf("%s: %s, want InferenceServices only", f, o.Kind)
				continue
			}
			p := isvc.Spec.Predictor
			if p.Model == nil && len(p.Containers) == 0 {
				t.Errorf("%s: %s has neither a model nor containers", f, o.Name)
			}
			if p.Model != nil && (p.Model.Runtime == nil || *p.Model.Runtime != "berth") {
				t.Errorf("%s: %s does not name the berth runtime", f, o.Name)
			}
		}
	}
}

// TestDecodeManifestsStrict: the decoder the chart tests rely on refuses a
// misspelt field (case too), a duplicate field and an unknown kind.
func TestDecodeManifestsStrict(t *testing.T) {
	good := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: i, %s}]\n"
	if _, err := decodeManifests([]byte(fmt.Sprintf(good, "imagePullPolicy: Always"))); err != nil {
		t.Fatalf("a good Deployment: %v", err)
	}
	for _, tc := range []struct{ name, doc string }{
		{"misspelt field", fmt.Sprintf(good, "imagePulPolicy: Always")},
		{"wrong case", fmt.Sprintf(good, "ImagePullPolicy: Always")},
		{"duplicate field", fmt.Sprintf(good, "image: j")},
		{"unknown kind", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"},
		{"misspelt ServiceMonitor field", "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: s}\nspec:\n  selector: {}\n  endpoints: [{port: http, intervall: 30s}]\n"},
		{"misspelt KServe field", "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: s}\nspec:\n  predictor:\n    model: {modelFormat: {name: onnx}, storageURI: s3://b/m}\n"},
		{"misspelt runtime field", "apiVersion: serving.kserve.io/v1alpha1\nkind: ClusterServingRuntime\nmetadata: {name: s}\nspec:\n  protocolVersion: [v2]\n  containers: [{name: c}]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := decodeManifests([]byte(tc.doc)); err == nil {
				t.Errorf("decoded without an error:\n%s", tc.doc)
			}
		})
	}
}
