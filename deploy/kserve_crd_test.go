package deploy_test

// KServe's custom resources against KServe's published CRDs: the chart's
// ClusterServingRuntime (also as a namespaced ServingRuntime), the
// InferenceService examples under deploy/kserve, what the CRDs refuse, and
// that the Go types transcribed in kserve_types_test.go agree with them.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// KServe's published CRDs from config/crd/full (source, size, checksum,
// how each was brought here and how far it was checked against the
// published text in testdata/crds/README.md): the
// ServingRuntime kinds (serving.kserve.io/v1alpha1, one spec schema for
// both) and InferenceService (v1beta1).
const (
	clusterServingRuntimeCRD = "../testdata/crds/kserve/serving.kserve.io_clusterservingruntimes.yaml"
	servingRuntimeCRD        = "../testdata/crds/kserve/serving.kserve.io_servingruntimes.yaml"
	inferenceServiceCRD      = "../testdata/crds/kserve/serving.kserve.io_inferenceservices.yaml"
)

// TestKServeRuntimeCRD checks the chart's ClusterServingRuntime against
// KServe's published CRD: in every value set that renders one, and in
// every value set with kserve.runtime turned on and its own image (by
// digest) named, so the runtime is checked beside each security context
// and setting the sets use.
// The same spec is checked as a namespaced ServingRuntime, the kind a team
// without cluster-wide rights installs. Then a misspelt field put into the
// rendered runtime must fail, so the check is known to bite on it.
func TestKServeRuntimeCRD(t *testing.T) {
	helm := helmBinary(t)
	on := filepath.Join(t.TempDir(), "kserve-on.yaml")
	runtimeOn := "kserve:\n  runtime: {enabled: true, image: {repository: registry.example/berth/runtime, digest: \"sha256:" + strings.Repeat("0", 64) + "\"}}\n"
	if err := os.WriteFile(on, []byte(runtimeOn), 0o600); err != nil {
		t.Fatal(err)
	}
	rendered := 0
	for _, v := range valueSets(t) {
		t.Run(filepath.Base(v), func(t *testing.T) {
			if objs := render(t, helm, v); hasKind(objs, "ClusterServingRuntime") {
				rendered++
				checkCRD(t, objs, "ClusterServingRuntime", clusterServingRuntimeCRD)
			}
			objs := render(t, helm, v, on)
			checkCRD(t, objs, "ClusterServingRuntime", clusterServingRuntimeCRD)
			checkCRD(t, asKind(t, objs, "ClusterServingRuntime", "ServingRuntime"), "ServingRuntime", servingRuntimeCRD)
			crd := loadCRD(t, clusterServingRuntimeCRD, "v1alpha1")
			for _, o := range objs {
				if o.Kind != "ClusterServingRuntime" {
					continue
				}
				var rt map[string]any
				if err := json.Unmarshal(o.JSON, &rt); err != nil {
					t.Fatal(err)
				}
				c := rt["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
				c["readinesProbe"] = c["readinessProbe"]
				if errs := crd.validate(rt); len(errs) == 0 {
					t.Errorf("%s with a misspelt readinesProbe passed the CRD", o.Name)
				}
			}
		})
	}
	if rendered == 0 {
		t.Error("no value set under " + chartDir + "/ci renders a ClusterServingRuntime")
	}
}

// TestKServeRuntimeCRDRefuses: KServe's CRD, as the validator reads it,
// refuses what the API server would refuse or silently drop of a runtime.
func TestKServeRuntimeCRDRefuses(t *testing.T) {
	const good = `apiVersion: serving.kserve.io/v1alpha1
kind: KIND
metadata: {name: berth}
spec:
  annotations: {prometheus.kserve.io/port: "8080"}
  supportedModelFormats:
    - {name: mlflow, version: "2", autoSelect: true, priority: 2}
  protocolVersions: [v2]
  multiModel: false
  containers:
    - name: kserve-container
      image: registry.example/berth/runtime:1
      args: [serve, /mnt/models]
      ports: [{containerPort: 8080, protocol: TCP}]
      readinessProbe: {httpGet: {path: /v2/health/ready, port: 8080}}
      resources: {requests: {cpu: 250m, memory: 256Mi}}
      securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true}
      volumeMounts: [{name: tmp, mountPath: /tmp}]
  volumes: [{name: tmp, emptyDir: {}}]
`
	runtime := func(t *testing.T, kind, from, to string) map[string]any {
		t.Helper()
		return editedObject(t, strings.Replace(good, "KIND", kind, 1), from, to)
	}
	for kind, file := range map[string]string{"ClusterServingRuntime": clusterServingRuntimeCRD, "ServingRuntime": servingRuntimeCRD} {
		crd := loadCRD(t, file, "v1alpha1")
		if errs := crd.validate(runtime(t, kind, "", "")); len(errs) > 0 {
			t.Fatalf("a good %s: %v", kind, errs)
		}
		worker := runtime(t, kind, "  multiModel: false", "  workerSpec: {containers: [{name: w, image: i}], tensorParallelSize: 2, pipelineParallelSize: 2}\n  hostIPC: true")
		if errs := crd.validate(worker); len(errs) > 0 {
			t.Fatalf("a good multi-node %s: %v", kind, errs)
		}
		for _, tc := range []struct{ name, from, to, want string }{
			{"misspelt spec field", "protocolVersions:", "protocolVersion:", "'protocolVersion' not allowed"},
			{"misspelt container field", "readinessProbe:", "readinesProbe:", "'readinesProbe' not allowed"},
			{"misspelt probe field", "{path: /v2", "{paht: /v2", "'paht' not allowed"},
			{"misspelt format field", "autoSelect: true", "autoselect: true", "'autoselect' not allowed"},
			{"misspelt volume source", "emptyDir: {}", "emptydir: {}", "'emptydir' not allowed"},
			{"misspelt security field", "runAsNonRoot:", "runAsNonroot:", "'runAsNonroot' not allowed"},
			{"misspelt worker field", "  multiModel: false", "  workerSpec: {containers: [{name: w}], tensorParalelSize: 2}", "'tensorParalelSize' not allowed"},
			{"misspelt adapter field", "  multiModel: false", "  builtInAdapter: {serverTyp: mlserver}", "'serverTyp' not allowed"},
			{"priority below 1", "priority: 2", "priority: 0", "minimum"},
			{"format without a name", "name: mlflow, ", "", "missing property 'name'"},
			{"no containers", "  containers:\n    - name: kserve-container", "  tolerations:\n    - key: kserve-container", "missing property 'containers'"},
			{"container without a name", "- name: kserve-container\n      image", "- image", "missing property 'name'"},
			{"multiModel not a boolean", "multiModel: false", "multiModel: nope", "want boolean"},
			{"memory not a quantity", "memory: 256Mi", "memory: lots", "does not match pattern"},
			{"port a list", "port: 8080}", "port: [8080]}", "'anyOf' failed"},
			{"protocol versions a string", "protocolVersions: [v2]", "protocolVersions: v2", "want array"},
			{"annotation not a string", `"8080"}`, "[8080]}", "want string"},
			{"mount without a path", ", mountPath: /tmp", "", "missing property 'mountPath'"},
		} {
			t.Run(kind+" "+tc.name, func(t *testing.T) {
				errs := crd.validate(runtime(t, kind, tc.from, tc.to))
				if len(errs) == 0 {
					t.Fatalf("%s -> %s passed", tc.from, tc.to)
				}
				if got := strings.Join(errs, "\n"); !strings.Contains(got, tc.want) {
					t.Errorf("%s -> %s: want an error with %q, got:\n%s", tc.from, tc.to, tc.want, got)
				}
			})
		}
	}
}

// TestKServeGoTypesInCRD: every field the strict decode into the transcribed
// Go types (kserve_types_test.go) accepts in a runtime's spec is one KServe's
// published CRD names, so the two checks agree on what a runtime may hold.
func TestKServeGoTypesInCRD(t *testing.T) {
	spec := crdSchema(t, clusterServingRuntimeCRD, "v1alpha1").Properties["spec"].Properties
	checkFieldsInCRD(t, []fieldsInCRD{
		{"spec", reflect.TypeFor[kserveServingRuntimeSpec](), spec},
		{"spec.supportedModelFormats[]", reflect.TypeFor[kserveSupportedModelFormat](), spec["supportedModelFormats"].Items.Properties},
		{"spec.builtInAdapter", reflect.TypeFor[kserveBuiltInAdapter](), spec["builtInAdapter"].Properties},
		{"spec.workerSpec", reflect.TypeFor[kserveWorkerSpec](), spec["workerSpec"].Properties},
	}, jsonFields)
}

// TestKServeInferenceServiceGoTypesInCRD: every KServe field the strict
// decode into the transcribed InferenceService types accepts is one KServe's
// published CRD names (the pod and container fields they inline are
// k8s.io/api's own and checked against the CRD by TestKServeInferenceServiceCRD).
func TestKServeInferenceServiceGoTypesInCRD(t *testing.T) {
	predictor := crdSchema(t, inferenceServiceCRD, "v1beta1").Properties["spec"].Properties["predictor"].Properties
	model := predictor["model"].Properties
	if len(predictor) == 0 || len(model) == 0 {
		t.Fatal("no spec.predictor.model in the CRD")
	}
	checkFieldsInCRD(t, []fieldsInCRD{
		{"spec.predictor", reflect.TypeFor[kservePredictorSpec](), predictor},
		{"spec.predictor.model", reflect.TypeFor[kserveModelSpec](), model},
		{"spec.predictor.model.modelFormat", reflect.TypeFor[kserveModelFormat](), model["modelFormat"].Properties},
	}, ownJSONFields)
}

// crdSchema reads a CRD file that must hold exactly one version, named
// version, and returns that version's OpenAPI schema.
func crdSchema(t *testing.T, path, version string) crdProp {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name   string
				Schema struct {
					OpenAPIV3Schema crdProp `json:"openAPIV3Schema"`
				}
			}
		}
	}
	if err := sigsyaml.Unmarshal(b, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != version {
		t.Fatalf("want one version %s in %s", version, path)
	}
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema
}

// fieldsInCRD is a Go type transcribed from KServe and the CRD's
// properties at path that its fields must be among.
type fieldsInCRD struct {
	path  string
	typ   reflect.Type
	props map[string]crdProp
}

// checkFieldsInCRD fails the test for each field fields(c.typ) lists that
// c.props does not name.
func checkFieldsInCRD(t *testing.T, cases []fieldsInCRD, fields func(reflect.Type) []string) {
	t.Helper()
	for _, c := range cases {
		for _, name := range fields(c.typ) {
			if _, ok := c.props[name]; !ok {
				t.Errorf("the Go types accept %s.%s; KServe's CRD has no such field", c.path, name)
			}
		}
	}
}

// ownJSONFields lists a struct's JSON field names, leaving out the structs
// it inlines from k8s.io/api.
func ownJSONFields(typ reflect.Type) []string {
	out := jsonFields(typ)
	var inlined []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous && strings.HasPrefix(f.Type.PkgPath(), "k8s.io/") {
			inlined = append(inlined, jsonFields(f.Type)...)
		}
	}
	skip := map[string]bool{}
	for _, n := range inlined {
		skip[n] = true
	}
	var own []string
	for _, n := range out {
		if !skip[n] {
			own = append(own, n)
		}
	}
	return own
}

type crdProp struct {
	Properties map[string]crdProp
	Items      *crdProp
}

// jsonFields lists the JSON names of a struct's fields, inlined embedded
// structs' too.
func jsonFields(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// hasKind reports whether a kind was rendered.
func hasKind(objs []object, kind string) bool {
	for _, o := range objs {
		if o.Kind == kind {
			return true
		}
	}
	return false
}

// asKind returns the objects of kind from, their kind renamed to.
func asKind(t *testing.T, objs []object, from, to string) []object {
	t.Helper()
	var out []object
	for _, o := range objs {
		if o.Kind != from {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal(o.JSON, &v); err != nil {
			t.Fatal(err)
		}
		v["kind"] = to
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, object{APIVersion: o.APIVersion, Kind: to, Name: o.Name, JSON: js})
	}
	return out
}

// TestKServeExamplesCRD checks every object under deploy/kserve against
// the KServe CRD of its kind (the InferenceService examples today; a
// ClusterServingRuntime or ServingRuntime added there is checked too), and
// fails on a kind no committed CRD covers, so no example goes unchecked.
func TestKServeExamplesCRD(t *testing.T) {
	files, err := filepath.Glob("kserve/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("want the KServe examples under deploy/kserve, got %v (%v)", files, err)
	}
	var objs []object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		o, err := decodeManifests(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		objs = append(objs, o...)
	}
	crds := map[string]string{
		"InferenceService":      inferenceServiceCRD,
		"ClusterServingRuntime": clusterServingRuntimeCRD,
		"ServingRuntime":        servingRuntimeCRD,
	}
	for _, o := range objs {
		if _, ok := crds[o.Kind]; !ok {
			t.Errorf("%s %s under deploy/kserve: no CRD for its kind is committed under testdata/crds", o.Kind, o.Name)
		}
	}
	if !hasKind(objs, "InferenceService") {
		t.Fatal("no InferenceService under deploy/kserve")
	}
	for kind, file := range crds {
		if hasKind(objs, kind) {
			checkCRD(t, objs, kind, file)
		}
	}
}

// TestKServeInferenceServiceCRDRefuses: KServe's InferenceService CRD, as
// the validator reads it, refuses what the API server would refuse or
// silently drop of an InferenceService.
func TestKServeInferenceServiceCRDRefuses(t *testing.T) {
	const good = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: iris}
spec:
  predictor:
    minReplicas: 1
    maxReplicas: 4
    scaleMetric: concurrency
    logger: {mode: all, url: "http://logger"}
    model:
      modelFormat: {name: mlflow, version: "2"}
      runtime: berth
      protocolVersion: v2
      storageUri: oci://registry.example/models/iris-modelcar:3
      resources: {requests: {cpu: 250m, memory: 256Mi}}
    containers:
      - name: sidecar
        image: registry.example/sidecar:1
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
`
	crd := loadCRD(t, inferenceServiceCRD, "v1beta1")
	isvc := func(t *testing.T, from, to string) map[string]any {
		t.Helper()
		return editedObject(t, good, from, to)
	}
	if errs := crd.validate(isvc(t, "", "")); len(errs) > 0 {
		t.Fatalf("a good InferenceService: %v", errs)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"storageURI for storageUri", "storageUri:", "storageURI:", "'storageURI' not allowed"},
		{"misspelt component", "  predictor:", "  predicter:", "missing property 'predictor'"},
		{"misspelt predictor field", "minReplicas:", "minReplica:", "'minReplica' not allowed"},
		{"misspelt model field", "runtime: berth", "runtimes: berth", "'runtimes' not allowed"},
		{"format without a name", "name: mlflow, ", "", "missing property 'name'"},
		{"replicas not a number", "maxReplicas: 4", "maxReplicas: four", "want integer"},
		{"unknown scale metric", "scaleMetric: concurrency", "scaleMetric: gpu", "value must be one of"},
		{"unknown logger mode", "mode: all", "mode: everything", "value must be one of"},
		{"misspelt container field", "readinessProbe:", "readinesProbe:", "'readinesProbe' not allowed"},
		{"memory not a quantity", "memory: 256Mi", "memory: lots", "does not match pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := crd.validate(isvc(t, tc.from, tc.to))
			if len(errs) == 0 {
				t.Fatalf("%s -> %s passed", tc.from, tc.to)
			}
			if got := strings.Join(errs, "\n"); !strings.Contains(got, tc.want) {
				t.Errorf("%s -> %s: want an error with %q, got:\n%s", tc.from, tc.to, tc.want, got)
			}
		})
	}
}

// editedObject is the YAML object good with its first from replaced by to
// (none when from is ""), as the JSON the validator reads; a from that is
// not in good fails the test, so no case checks an unchanged object.
func editedObject(t *testing.T, good, from, to string) map[string]any {
	t.Helper()
	y := good
	if from != "" {
		if !strings.Contains(y, from) {
			t.Fatalf("%q is not in the good object", from)
		}
		y = strings.Replace(y, from, to, 1)
	}
	js, err := sigsyaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatal(err)
	}
	return v
}
