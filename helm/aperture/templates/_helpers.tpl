{{/* Names: <release>-aperture, or fullnameOverride; each service's objects are <fullname>-<service>. */}}
{{- define "aperture.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "aperture.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "aperture.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "aperture.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: aperture
{{- end -}}

{{/* The pods of the whole release (used by network policies). */}}
{{- define "aperture.releaseSelector" -}}
app.kubernetes.io/name: {{ include "aperture.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector of one service's pods. Call with (dict "root" $ "name" $name). */}}
{{- define "aperture.selectorLabels" -}}
{{ include "aperture.releaseSelector" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "aperture.serviceLabels" -}}
{{ include "aperture.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "aperture.serviceFullname" -}}
{{- printf "%s-%s" (include "aperture.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "aperture.secretName" -}}
{{- default (printf "%s-credentials" (include "aperture.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "aperture.configName" -}}
{{- printf "%s-config" (include "aperture.fullname" .) -}}
{{- end -}}

{{/* The topic each service consumes (libs/contracts/src/topics.ts); ingest consumes none. campaigns counts curated images. */}}
{{- define "aperture.inputTopic" -}}
{{- $topics := dict
  "quality" "aperture.image.ingested.v1"
  "standardize" "aperture.image.qualified.v1"
  "compliance" "aperture.image.standardized.v1"
  "annotation-router" "aperture.image.cleared.v1"
  "campaigns" "aperture.image.curated.v1" -}}
{{- get $topics . -}}
{{- end -}}

{{/* Every topic of the pipeline, one a line: the image topics and a dead-letter topic per service. */}}
{{- define "aperture.topicNames" -}}
{{- range list "ingested" "qualified" "standardized" "cleared" "curated" "rejected" "erased" "status" }}
{{ printf "aperture.image.%s.v1" . }}
{{- end }}
{{- range list "ingest" "quality" "standardize" "compliance" "annotation-router" "campaigns" }}
{{ printf "aperture.dlq.%s.v1" . }}
{{- end }}
{{- end -}}

{{/* A topic's settings: the defaults of .Values.topics with its override. Call with (dict "root" $ "topic" $name). Returns YAML. */}}
{{- define "aperture.topicSettings" -}}
{{- $t := .root.Values.topics -}}
{{- $o := get $t.overrides .topic | default dict -}}
partitions: {{ hasKey $o "partitions" | ternary $o.partitions $t.partitions | int }}
retentionMs: {{ hasKey $o "retentionMs" | ternary $o.retentionMs $t.retentionMs | int64 }}
cleanupPolicy: {{ hasKey $o "cleanupPolicy" | ternary $o.cleanupPolicy $t.cleanupPolicy }}
{{- end -}}

{{/* A service's image reference. Call with (dict "root" $ "name" $name "svc" $svc). */}}
{{- define "aperture.image" -}}
{{- $img := .svc.image | default dict -}}
{{- $repo := $img.repository | default (printf "%s/%s" .root.Values.image.repository .name) -}}
{{- $tag := $img.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{/*
The most replicas a service can reach: the autoscaler's maximum when an HPA or a ScaledObject
scales it, its fixed replicas otherwise.
*/}}
{{- define "aperture.maxReplicas" -}}
{{- if or .svc.autoscaling.enabled .svc.keda.enabled -}}
{{- .svc.autoscaling.maxReplicas -}}
{{- else -}}
{{- .svc.replicas -}}
{{- end -}}
{{- end -}}

{{/*
Checks one service's values against facts the schema cannot see; fails the render with a message.
Call with (dict "root" $ "name" $name "svc" $svc).
*/}}
{{- define "aperture.checkService" -}}
{{- $svc := .svc -}}
{{- $topic := include "aperture.inputTopic" .name -}}
{{- if and $svc.keda.enabled (not $topic) -}}
{{- fail (printf "services.%s.keda.enabled: %s consumes no Kafka topic, so KEDA's Kafka trigger cannot scale it; use services.%s.autoscaling (CPU) instead" .name .name .name) -}}
{{- end -}}
{{- if and (or $svc.autoscaling.enabled $svc.keda.enabled) (gt (int $svc.autoscaling.minReplicas) (int $svc.autoscaling.maxReplicas)) -}}
{{- fail (printf "services.%s.autoscaling: minReplicas (%d) is above maxReplicas (%d)" .name (int $svc.autoscaling.minReplicas) (int $svc.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- if $topic -}}
{{- $partitions := (include "aperture.topicSettings" (dict "root" .root "topic" $topic) | fromYaml).partitions | int -}}
{{- $max := include "aperture.maxReplicas" . | int -}}
{{- if gt $max $partitions -}}
{{- $what := ternary "autoscaling.maxReplicas" "replicas" (or $svc.autoscaling.enabled $svc.keda.enabled) -}}
{{- fail (printf "services.%s.%s is %d but its input topic %s has %d partitions: a consumer group cannot use more consumers than partitions. Lower services.%s.%s or raise the topic's partitions (topics.partitions or topics.overrides.%s.partitions)" .name $what $max $topic $partitions .name $what $topic) -}}
{{- end -}}
{{- end -}}
{{- end -}}
