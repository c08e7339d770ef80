{{- define "certbridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "certbridge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "certbridge.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "certbridge.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "certbridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "certbridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Plain manifests (managedBy set) carry no Helm bookkeeping labels. */}}
{{- define "certbridge.labels" -}}
{{ include "certbridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: certbridge
app.kubernetes.io/managed-by: {{ .Values.managedBy | default .Release.Service }}
{{- if not .Values.managedBy }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}
{{- end }}

{{- define "certbridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "certbridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "certbridge.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* The demo simulators (demo.enabled): a name of their own, so no operator selector matches their pods. */}}
{{- define "certbridge.demoName" -}}
{{- printf "%s-demo-simulators" (include "certbridge.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "certbridge.demoSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-demo-simulators" (include "certbridge.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "certbridge.demoLabels" -}}
{{ include "certbridge.demoSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: demo
app.kubernetes.io/part-of: certbridge
app.kubernetes.io/managed-by: {{ .Values.managedBy | default .Release.Service }}
{{- if not .Values.managedBy }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}
{{- end }}

{{/* The watched namespaces, deduplicated, in the order given. */}}
{{- define "certbridge.watchNamespaces" -}}
{{- uniq .Values.watchNamespaces | join "," }}
{{- end }}

{{/*
RBAC rules for the namespaced kinds and the Secrets the operator owns; granted cluster-wide when all
namespaces are watched, else by a Role in each watched namespace.
*/}}
{{- define "certbridge.namespacedRules" -}}
# Read the namespaced kinds through informers (list+watch) and single GETs.
- apiGroups: [certbridge.dev]
  resources: [managedcertificates, provisioningkeys, vendorconnections]
  verbs: [get, list, watch]
# Add and remove the certbridge.dev/cleanup finalizer, and on connections the certbridge.dev/in-use
# finalizer (merge patch on metadata.finalizers; a connection's spec is never written).
- apiGroups: [certbridge.dev]
  resources: [managedcertificates, provisioningkeys, vendorconnections]
  verbs: [patch]
# Conditions and status, by server-side apply on the status subresource.
- apiGroups: [certbridge.dev]
  resources: [managedcertificates/status, provisioningkeys/status, vendorconnections/status]
  verbs: [patch]
# Owned Secrets: watched only through the certbridge.dev/managed=true selector; created with POST so
# an existing foreign Secret is never taken over, updated by server-side apply, deleted per policy;
# credentials Secrets are read with GET by name.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, patch, delete]
# Events (events.k8s.io/v1) on transitions.
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create]
{{- if .Values.certManager.enabled }}
# cert-manager external issuer: VendorIssuers through an informer, their Ready by server-side apply;
# cert-manager's CertificateRequests through an informer (only those naming certbridge.dev are acted
# on), the order record (annotation certbridge.dev/order and finalizer certbridge.dev/cleanup) by a
# merge patch, and Ready/certificate/ca/failureTime by server-side apply on the status subresource.
- apiGroups: [certbridge.dev]
  resources: [vendorissuers]
  verbs: [list, watch]
- apiGroups: [certbridge.dev]
  resources: [vendorissuers/status]
  verbs: [patch]
- apiGroups: [cert-manager.io]
  resources: [certificaterequests]
  verbs: [list, watch, patch]
- apiGroups: [cert-manager.io]
  resources: [certificaterequests/status]
  verbs: [patch]
{{- end }}
{{- end }}

{{/*
Memory (README "Memory sizing"; issue 13): the pod's memory limit and Node's heap agree, both sized
from expectedResources (ManagedCertificates and ProvisioningKeys together) unless
resources.limits.memory is set, in which case the heap follows that limit:
  limit            = 192 MiB + 20 MiB per 1,000 expected resources
  young generation = semi-spaces of 4 MiB (--max-semi-space-size; 8 cost ~8 MiB RSS, no throughput)
  old generation   = limit - 104 MiB (code, native memory, buffers) - 3 x 4 MiB (--max-old-space-size)
Measured (test/bench, compiled, in-cluster, in a memory cgroup of the limit): see ADR 0019.
*/}}
{{- define "certbridge.memoryLimitMiB" -}}
{{- $limit := "" -}}
{{- with .Values.resources -}}{{- with .limits -}}{{- $limit = toString (.memory | default "") -}}{{- end -}}{{- end -}}
{{- if eq $limit "" -}}
{{- add 192 (div (add (mul (int .Values.expectedResources) 20) 999) 1000) -}}
{{- else if regexMatch "^[0-9]+(\\.[0-9]+)?Gi$" $limit -}}
{{- mulf (trimSuffix "Gi" $limit | float64) 1024 | floor | int -}}
{{- else if regexMatch "^[0-9]+Mi$" $limit -}}
{{- trimSuffix "Mi" $limit | int -}}
{{- else if regexMatch "^[0-9]+(\\.[0-9]+)?G$" $limit -}}
{{- divf (mulf (trimSuffix "G" $limit | float64) 1000000000) 1048576 | floor | int -}}
{{- else if regexMatch "^[0-9]+M$" $limit -}}
{{- div (mul (trimSuffix "M" $limit | int64) 1000000) 1048576 -}}
{{- else if regexMatch "^[0-9]+$" $limit -}}
{{- div ($limit | int64) 1048576 -}}
{{- else -}}
{{- fail (printf "resources.limits.memory %q: write it in Mi, Gi, M, G or bytes (whole Mi and M), so the heap can follow it" $limit) -}}
{{- end -}}
{{- end }}

{{- define "certbridge.semiSpaceMiB" -}}4{{- end }}

{{- define "certbridge.nodeOptions" -}}
{{- $limit := include "certbridge.memoryLimitMiB" . | int -}}
{{- $semi := include "certbridge.semiSpaceMiB" . | int -}}
{{- $old := max 64 (sub (sub $limit 104) (mul 3 $semi)) -}}
{{- printf "--max-old-space-size=%d --max-semi-space-size=%d" $old $semi -}}
{{- end }}

{{/*
The process's environment beyond the operator's flags, each left out when extraEnv names it (the
user's wins): NODE_OPTIONS (the heap, above) and MALLOC_ARENA_MAX. glibc gives each thread that
allocates (libuv's pool generating keys, V8's workers) an arena of its own, up to 8 per core, and
returns little of them; 2 arenas measured ~8 MiB less RSS at 1,000 resources (ADR 0019). musl (the
alpine image) has no arenas and ignores it.
*/}}
{{- define "certbridge.processEnv" -}}
{{- $taken := dict -}}
{{- range .Values.extraEnv }}{{- $_ := set $taken .name true -}}{{- end -}}
{{- if not (hasKey $taken "NODE_OPTIONS") }}
- name: NODE_OPTIONS
  value: {{ include "certbridge.nodeOptions" . | quote }}
{{- end }}
{{- if not (hasKey $taken "MALLOC_ARENA_MAX") }}
- name: MALLOC_ARENA_MAX
  value: "2"
{{- end }}
{{- end }}

{{/* resources with the memory limit (and an equal request: the heap is sized to use it) filled in. */}}
{{- define "certbridge.resources" -}}
{{- $resources := deepCopy (.Values.resources | default dict) -}}
{{- $limits := get $resources "limits" | default dict -}}
{{- $requests := get $resources "requests" | default dict -}}
{{- $memory := printf "%sMi" (include "certbridge.memoryLimitMiB" .) -}}
{{- if not (hasKey $limits "memory") -}}{{- $_ := set $limits "memory" $memory -}}{{- end -}}
{{- if not (hasKey $requests "memory") -}}{{- $_ := set $requests "memory" (get $limits "memory") -}}{{- end -}}
{{- $_ := set $resources "limits" $limits -}}
{{- $_ := set $resources "requests" $requests -}}
{{- toYaml $resources -}}
{{- end }}
