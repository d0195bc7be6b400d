{{/* The chart's name, or nameOverride: the app.kubernetes.io/name label. */}}
{{- define "ecr-refresh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name (fullnameOverride, else release-name), the name of every namespaced object. */}}
{{- define "ecr-refresh.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "ecr-refresh.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The name of the cluster-scoped objects (ClusterRole, ClusterRoleBinding): the full name and the
release's namespace, so two releases of the same name in two namespaces do not take each other's.
*/}}
{{- define "ecr-refresh.clusterName" -}}
{{- printf "%s-%s" (include "ecr-refresh.fullname" .) .Release.Namespace -}}
{{- end -}}

{{- define "ecr-refresh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecr-refresh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ecr-refresh.labels" -}}
{{ include "ecr-refresh.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "ecr-refresh.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ecr-refresh.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* "true" when the namespaces are found by listing them (a glob, "*" or a label selector). */}}
{{- define "ecr-refresh.listsNamespaces" -}}
{{- $lists := ne .Values.namespaceSelector "" -}}
{{- range .Values.namespaces -}}
{{- if or (contains "*" .) (contains "?" .) -}}{{- $lists = true -}}{{- end -}}
{{- end -}}
{{- if and (eq .Values.scope "cluster") $lists -}}true{{- end -}}
{{- end -}}

{{/* "true" when the install serves Rancher's downstream clusters through Rancher's proxy (rancher.clusters or rancher.clusterSelector). */}}
{{- define "ecr-refresh.servesFleet" -}}
{{- if or .Values.rancher.clusters .Values.rancher.clusterSelector -}}true{{- end -}}
{{- end -}}

{{/* Where rancher.kubeconfigSecret is mounted; the kubeconfig is the file "kubeconfig" in it. */}}
{{- define "ecr-refresh.rancherKubeconfigDir" -}}/var/run/secrets/ecr-refresh/rancher{{- end -}}

{{/* The Secret names the tool will read and replace, as a JSON list; "" when they cannot be known (a glob with {namespace}). */}}
{{- define "ecr-refresh.secretNames" -}}
{{- if not (contains "{namespace}" .Values.secretName) -}}
{{- list .Values.secretName | toJson -}}
{{- else if eq .Values.scope "namespace" -}}
{{- list (replace "{namespace}" .Release.Namespace .Values.secretName) | toJson -}}
{{- else if not (include "ecr-refresh.listsNamespaces" .) -}}
{{- $names := list -}}
{{- range .Values.namespaces -}}{{- $names = append $names (replace "{namespace}" . $.Values.secretName) -}}{{- end -}}
{{- $names | toJson -}}
{{- end -}}
{{- end -}}

{{/*
The config file: the registries, which may carry their own identity ({host, roleArn, ...}) and so
only fit the file's structure, not a flag or variable.
*/}}
{{- define "ecr-refresh.configFile" -}}
registries:
  {{- toYaml .Values.registries | nindent 2 }}
{{- end -}}

{{/* Where the config file is mounted. */}}
{{- define "ecr-refresh.configDir" -}}/etc/ecr-refresh{{- end -}}

{{/* The container's arguments: the subcommand, the mode, the config file (and Rancher's kubeconfig), labels and annotations of the Secrets. */}}
{{- define "ecr-refresh.args" -}}
- k8s
- --config={{ include "ecr-refresh.configDir" . }}/config.yaml
{{- if include "ecr-refresh.servesFleet" . }}
- --kubeconfig={{ include "ecr-refresh.rancherKubeconfigDir" . }}/kubeconfig
{{- end }}
{{- if eq .Values.mode "deployment" }}
- --watch
- --listen=0.0.0.0:{{ .Values.healthPort }}
{{- end }}
{{- range $key, $value := .Values.secretLabels }}
- {{ printf "--secret-label=%s=%s" $key $value | quote }}
{{- end }}
{{- range $key, $value := .Values.secretAnnotations }}
- {{ printf "--secret-annotation=%s=%s" $key $value | quote }}
{{- end }}
{{- if not .Values.events }}
- --no-events
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The ECR_REFRESH_* settings of the container. */}}
{{- define "ecr-refresh.env" -}}
- name: HOME
  value: /tmp
- name: ECR_REFRESH_LOG_FORMAT
  value: json
- name: ECR_REFRESH_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- with .Values.region }}
- name: ECR_REFRESH_REGION
  value: {{ . | quote }}
{{- end }}
{{- with .Values.roleArn }}
- name: ECR_REFRESH_ROLE_ARN
  value: {{ . | quote }}
{{- end }}
{{- with .Values.email }}
- name: ECR_REFRESH_EMAIL
  value: {{ . | quote }}
{{- end }}
{{- if eq .Values.scope "namespace" }}
- name: ECR_REFRESH_NAMESPACE
  value: {{ .Release.Namespace | quote }}
{{- else }}
{{- with .Values.namespaces }}
- name: ECR_REFRESH_NAMESPACE
  value: {{ join "," . | quote }}
{{- end }}
{{- with .Values.namespaceSelector }}
- name: ECR_REFRESH_SELECTOR
  value: {{ . | quote }}
{{- end }}
{{- with .Values.excludeNamespaces }}
- name: ECR_REFRESH_EXCLUDE_NAMESPACE
  value: {{ join "," . | quote }}
{{- end }}
{{- end }}
- name: ECR_REFRESH_SECRET_NAME
  value: {{ .Values.secretName | quote }}
- name: ECR_REFRESH_ADOPT
  value: {{ .Values.adopt | quote }}
- name: ECR_REFRESH_SERVICE_ACCOUNT
  value: {{ if .Values.serviceAccounts }}{{ join "," .Values.serviceAccounts | quote }}{{ else }}"none"{{ end }}
- name: ECR_REFRESH_CONCURRENCY
  value: {{ .Values.concurrency | quote }}
{{- if include "ecr-refresh.servesFleet" . }}
{{- with .Values.rancher.clusters }}
- name: ECR_REFRESH_RANCHER_CLUSTERS
  value: {{ join "," . | quote }}
{{- end }}
{{- with .Values.rancher.clusterSelector }}
- name: ECR_REFRESH_RANCHER_CLUSTER_SELECTOR
  value: {{ . | quote }}
{{- end }}
- name: ECR_REFRESH_CLUSTER_CONCURRENCY
  value: {{ .Values.rancher.clusterConcurrency | quote }}
- name: ECR_REFRESH_CLUSTER_TIMEOUT
  value: {{ .Values.rancher.clusterTimeout | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The pod's metadata shared by the CronJob and the Deployment; a changed config file restarts the Deployment. */}}
{{- define "ecr-refresh.podMetadata" -}}
labels:
  {{- include "ecr-refresh.selectorLabels" . | nindent 2 }}
  {{- with .Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  checksum/config: {{ include "ecr-refresh.configFile" . | sha256sum }}
  {{- with .Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* The pod spec shared by the CronJob and the Deployment. */}}
{{- define "ecr-refresh.podSpec" -}}
{{- $fleet := include "ecr-refresh.servesFleet" . -}}
serviceAccountName: {{ include "ecr-refresh.serviceAccountName" . }}
{{- if $fleet }}
# Serving a fleet, the pod talks to Rancher with the kubeconfig's token only: its own API token
# would grant nothing (IRSA and EKS Pod Identity mount their own AWS tokens).
automountServiceAccountToken: false
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
containers:
  - name: ecr-refresh
    image: "{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}"
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    args:
      {{- include "ecr-refresh.args" . | nindent 6 }}
    env:
      {{- include "ecr-refresh.env" . | nindent 6 }}
    {{- if or .Values.aws.existingSecret .Values.proxy.existingSecret }}
    envFrom:
      {{- with .Values.aws.existingSecret }}
      - secretRef:
          name: {{ . }}
          optional: true
      {{- end }}
      {{- with .Values.proxy.existingSecret }}
      - secretRef:
          name: {{ . }}
          optional: true
      {{- end }}
    {{- end }}
    {{- if eq .Values.mode "deployment" }}
    ports:
      - name: http
        containerPort: {{ .Values.healthPort }}
    livenessProbe:
      httpGet:
        path: /healthz
        port: http
      periodSeconds: 30
    readinessProbe:
      httpGet:
        path: /readyz
        port: http
      periodSeconds: 10
    {{- end }}
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
    resources:
      {{- toYaml .Values.resources | nindent 6 }}
    volumeMounts:
      - name: tmp
        mountPath: /tmp
      - name: config
        mountPath: {{ include "ecr-refresh.configDir" . }}
        readOnly: true
      {{- if $fleet }}
      - name: rancher-kubeconfig
        mountPath: {{ include "ecr-refresh.rancherKubeconfigDir" . }}
        readOnly: true
      {{- end }}
      {{- with .Values.extraVolumeMounts }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  - name: config
    configMap:
      name: {{ include "ecr-refresh.fullname" . }}
  {{- if $fleet }}
  - name: rancher-kubeconfig
    secret:
      secretName: {{ .Values.rancher.kubeconfigSecret }}
      items:
        - key: {{ .Values.rancher.kubeconfigSecretKey }}
          path: kubeconfig
  {{- end }}
  {{- with .Values.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
