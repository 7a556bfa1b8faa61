package deploy_test

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KServe publishes no Go module the proxy here serves, so its API types are
// transcribed, field for field and with the same JSON names, from KServe's
// published Go source (github.com/kserve/kserve, pkg/apis/serving/v1alpha1/
// servingruntime_types.go and v1beta1/{inference_service,predictor,
// component,model}.go; see testdata/crds/README.md) for the fields
// berth's manifests may use; the runtime's are checked against KServe's
// published CRD too (TestKServeGoTypesInCRD). Decoding strictly into them catches a
// misspelt field; the pod parts are k8s.io/api's own types.

type kserveSupportedModelFormat struct {
	Name       string  `json:"name"`
	Version    *string `json:"version,omitempty"`
	AutoSelect *bool   `json:"autoSelect,omitempty"`
	Priority   *int32  `json:"priority,omitempty"`
}

type kserveServingRuntimePodSpec struct {
	Containers       []corev1.Container            `json:"containers"`
	Volumes          []corev1.Volume               `json:"volumes,omitempty"`
	NodeSelector     map[string]string             `json:"nodeSelector,omitempty"`
	Affinity         *corev1.Affinity              `json:"affinity,omitempty"`
	Tolerations      []corev1.Toleration           `json:"tolerations,omitempty"`
	Labels           map[string]string             `json:"labels,omitempty"`
	Annotations      map[string]string             `json:"annotations,omitempty"`
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	HostIPC          bool                          `json:"hostIPC,omitempty"`
}

// kserveBuiltInAdapter is v1alpha1's BuiltInAdapter (ModelMesh runtimes).
type kserveBuiltInAdapter struct {
	ServerType                string          `json:"serverType,omitempty"`
	RuntimeManagementPort     int             `json:"runtimeManagementPort,omitempty"`
	MemBufferBytes            int             `json:"memBufferBytes,omitempty"`
	ModelLoadingTimeoutMillis int             `json:"modelLoadingTimeoutMillis,omitempty"`
	Env                       []corev1.EnvVar `json:"env,omitempty"`
}

// kserveWorkerSpec is v1alpha1's WorkerSpec (multi-node runtimes).
type kserveWorkerSpec struct {
	kserveServingRuntimePodSpec
	PipelineParallelSize *int `json:"pipelineParallelSize,omitempty"`
	TensorParallelSize   *int `json:"tensorParallelSize,omitempty"`
}

type kserveServingRuntimeSpec struct {
	SupportedModelFormats []kserveSupportedModelFormat `json:"supportedModelFormats,omitempty"`
	MultiModel            *bool                        `json:"multiModel,omitempty"`
	Disabled              *bool                        `json:"disabled,omitempty"`
	ProtocolVersions      []string                     `json:"protocolVersions,omitempty"`
	WorkerSpec            *kserveWorkerSpec            `json:"workerSpec,omitempty"`
	kserveServingRuntimePodSpec
	GrpcMultiModelManagementEndpoint *string `json:"grpcEndpoint,omitempty"`
	GrpcDataEndpoint                 *string `json:"grpcDataEndpoint,omitempty"`
	HTTPDataEndpoint                 *string `json:"httpDataEndpoint,omitempty"`
	Replicas                         *uint16 `json:"replicas,omitempty"`
	StorageHelper                    *struct {
		Disabled bool `json:"disabled,omitempty"`
	} `json:"storageHelper,omitempty"`
	BuiltInAdapter *kserveBuiltInAdapter `json:"builtInAdapter,omitempty"`
}

// kserveClusterServingRuntime is serving.kserve.io/v1alpha1 ClusterServingRuntime.
type kserveClusterServingRuntime struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              kserveServingRuntimeSpec `json:"spec,omitempty"`
}

type kserveModelFormat struct {
	Name    string  `json:"name"`
	Version *string `json:"version,omitempty"`
}

// kserveModelSpec is v1beta1's ModelSpec: the model's format, runtime and
// storage, with a corev1.Container inline (PredictorExtensionSpec).
type kserveModelSpec struct {
	ModelFormat     kserveModelFormat `json:"modelFormat"`
	Runtime         *string           `json:"runtime,omitempty"`
	StorageURI      *string           `json:"storageUri,omitempty"`
	RuntimeVersion  *string           `json:"runtimeVersion,omitempty"`
	ProtocolVersion *string           `json:"protocolVersion,omitempty"`
	corev1.Container
}

// kservePredictorSpec is v1beta1's PredictorSpec: a pod spec inline, the
// model, and ComponentExtensionSpec's scaling fields.
type kservePredictorSpec struct {
	Model *kserveModelSpec `json:"model,omitempty"`
	corev1.PodSpec
	MinReplicas          *int32            `json:"minReplicas,omitempty"`
	MaxReplicas          int32             `json:"maxReplicas,omitempty"`
	ScaleTarget          *int32            `json:"scaleTarget,omitempty"`
	ScaleMetric          *string           `json:"scaleMetric,omitempty"`
	ContainerConcurrency *int64            `json:"containerConcurrency,omitempty"`
	TimeoutSeconds       *int64            `json:"timeout,omitempty"`
	CanaryTrafficPercent *int64            `json:"canaryTrafficPercent,omitempty"`
	Labels               map[string]string `json:"labels,omitempty"`
	Annotations          map[string]string `json:"annotations,omitempty"`
}

// kserveInferenceService is serving.kserve.io/v1beta1 InferenceService.
type kserveInferenceService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Predictor kservePredictorSpec `json:"predictor"`
	} `json:"spec"`
}
