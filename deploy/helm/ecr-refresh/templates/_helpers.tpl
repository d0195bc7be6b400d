{{/* The release's full name, also the name of every object. */}}
{{- define "ecr-refresh.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ecr-refresh.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ecr-refresh.labels" -}}
{{ include "ecr-refresh.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
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

{{/* The ECR_REFRESH_* settings of the container. */}}
{{- define "ecr-refresh.env" -}}
- name: HOME
  value: /tmp
- name: ECR_REFRESH_LOG_FORMAT
  value: json
- name: ECR_REFRESH_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- with .Values.registries }}
- name: ECR_REFRESH_REGISTRY
  value: {{ join "," . | quote }}
{{- end }}
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
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The pod spec shared by the CronJob and the Deployment. */}}
{{- define "ecr-refresh.podSpec" -}}
serviceAccountName: {{ include "ecr-refresh.serviceAccountName" . }}
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
      - k8s
      {{- if eq .Values.mode "deployment" }}
      - --watch
      - --listen=0.0.0.0:8080
      {{- end }}
      {{- range .Values.extraArgs }}
      - {{ . | quote }}
      {{- end }}
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
        containerPort: 8080
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
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
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
