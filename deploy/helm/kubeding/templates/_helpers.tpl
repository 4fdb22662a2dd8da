{{/* The chart's name, or nameOverride. */}}
{{- define "kubeding.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: every object is called this (plus a suffix for NPD's). */}}
{{- define "kubeding.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kubeding.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubeding.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kubeding.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kubeding.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "kubeding.serviceAccountName" -}}
{{- default (include "kubeding.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The Secret the container's environment comes from: existingSecret, or the chart's own. */}}
{{- define "kubeding.secretName" -}}
{{- default (include "kubeding.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{/*
True when eventer.image.repository still names kube-eventer's image, as the seed chart's values
files do (registry.aliyuncs.com/acs/eventer, .../kube-eventer): kubeding runs its own image, so
that value is replaced, and NOTES.txt says so.
*/}}
{{- define "kubeding.imageIsKubeEventer" -}}
{{- if regexMatch "(^|/)(kube-)?eventer$" .Values.eventer.image.repository -}}true{{- end -}}
{{- end -}}

{{/*
kubeding's image. eventer.image.* kept the seed's names so that mirror-registry overrides keep
working. A repository naming kube-eventer's image gives way to kubeding's own, tag and all (a
kube-eventer tag means nothing to kubeding's repository). The default tag is the appVersion.
*/}}
{{- define "kubeding.image" -}}
{{- if include "kubeding.imageIsKubeEventer" . -}}
{{- printf "ghcr.io/kubeding/kubeding:%s" .Chart.AppVersion -}}
{{- else -}}
{{- printf "%s:%s" .Values.eventer.image.repository (default .Chart.AppVersion .Values.eventer.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
A list given the seed's way, as one comma-separated string ("Pod,Node"), or as a YAML list:
rendered as a JSON list of trimmed, non-empty strings (read it back with fromJsonArray).
*/}}
{{- define "kubeding.list" -}}
{{- $items := . -}}
{{- if kindIs "string" $items -}}
{{- $items = splitList "," $items -}}
{{- end -}}
{{- $out := list -}}
{{- range $items -}}
{{- $item := trim (toString .) -}}
{{- if $item -}}
{{- $out = append $out $item -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
alibaba_cloud_plugins resolved against the plugins this chart ships (files/npd-plugins/):
{"known": ["fd", "inodes", "conntrack"], "unknown": [names it cannot run]}. Names are taken in
any case, with or without the ACK console's "_check" suffix.
*/}}
{{- define "kubeding.npdPlugins" -}}
{{- $aliases := dict "fd" "fd" "inodes" "inodes" "inode" "inodes" "inode_usage" "inodes" "inodes_usage" "inodes" "network_problem" "conntrack" "conntrack" "conntrack" -}}
{{- $known := list -}}
{{- $unknown := list -}}
{{- range fromJsonArray (include "kubeding.list" .Values.alibaba_cloud_plugins) -}}
{{- $key := lower . | trimSuffix "_check" -}}
{{- if hasKey $aliases $key -}}
{{- $known = append $known (get $aliases $key) -}}
{{- else -}}
{{- $unknown = append $unknown . -}}
{{- end -}}
{{- end -}}
{{- toJson (dict "known" (uniq $known) "unknown" $unknown) -}}
{{- end -}}
