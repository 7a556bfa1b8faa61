{{/* berth.name is the release's prefix for every object. */}}
{{- define "berth.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "berth.labels" -}}
app.kubernetes.io/name: berth
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* berth.image renders an image map {repository, tag, digest}, falling back to the chart's image. */}}
{{- define "berth.image" -}}
{{- $img := .img | default dict -}}
{{- $repo := $img.repository | default .root.Values.image.repository -}}
{{- if not $repo -}}{{- fail "an image is required: set image.repository (a berth pack image) or the component's image" -}}{{- end -}}
{{- $digest := $img.digest | default (ternary .root.Values.image.digest "" (not $img.repository)) -}}
{{- $tag := $img.tag | default (ternary .root.Values.image.tag "" (not $img.repository)) | default "latest" -}}
{{- if $digest -}}{{ $repo }}@{{ $digest }}{{- else -}}{{ $repo }}:{{ $tag }}{{- end -}}
{{- end -}}

{{- define "berth.tokenSecret" -}}
{{- .Values.tokens.existingSecret | default (printf "%s-tokens" (include "berth.fullname" .)) -}}
{{- end -}}

{{/* berth.tokenEnv renders an env entry from the token Secret, optional so an unset token is left out. */}}
{{- define "berth.tokenEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "berth.tokenSecret" .root }}
      key: {{ .key }}
      optional: true
{{- end -}}

{{- define "berth.pod" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
{{- toYaml .Values.podSecurityContext | nindent 2 }}
automountServiceAccountToken: false
{{- end -}}
