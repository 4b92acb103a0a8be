{{/* Names and labels. */}}
{{- define "usage-ledger.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "usage-ledger.secretName" -}}
{{- .Values.secrets.name | default (printf "%s-secrets" (include "usage-ledger.fullname" .)) -}}
{{- end -}}

{{- define "usage-ledger.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "usage-ledger.labels" -}}
{{ include "usage-ledger.selector" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/*
One ledger process as a Deployment: the same image and settings (the ConfigMap and the Secret as
variables), its app and role (env), its HTTP port with probes on its health path.
  dict "root" $ "component" "api" "app" "apps/ledger/src/main.ts" "values" .Values.api
       "port" 3000 "health" "/health" "env" (list (dict "name" ... "value" ...))
*/}}
{{- define "usage-ledger.deployment" -}}
{{- $root := .root -}}
{{- $v := .values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "usage-ledger.fullname" $root }}-{{ .component }}
  labels:
    {{- include "usage-ledger.labels" . | nindent 4 }}
spec:
  replicas: {{ $v.replicas }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "usage-ledger.selector" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "usage-ledger.labels" . | nindent 8 }}
      annotations:
        # A changed setting rolls the pods.
        checksum/config: {{ include (print $root.Template.BasePath "/config.yaml") $root | sha256sum }}
        {{- if $root.Values.secrets.create }}
        checksum/secrets: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- end }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds | default 30 }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "usage-ledger.selector" . | nindent 14 }}
      containers:
        - name: {{ .component }}
          image: "{{ $root.Values.image.repository }}:{{ $root.Values.image.tag | default $root.Chart.AppVersion }}"
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          # As the npm scripts start it (--max-semi-space-size=32, bench/RESULTS.md), the heap
          # bounded below the memory limit.
          command:
            - node
            - --max-semi-space-size=32
            - --max-old-space-size={{ $v.heapMiB }}
            - -r
            - ./deploy/register.js
            - {{ .app }}
          ports:
            - name: http
              containerPort: {{ .port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "usage-ledger.fullname" $root }}-config
            - secretRef:
                name: {{ include "usage-ledger.secretName" $root }}
          # Its role. (LEDGER_INSTANCE_ID, the name in lease rows, stays host:pid:random: the pod's name and more.)
          env:
            {{- range .env }}
            - name: {{ .name }}
              value: {{ .value | quote }}
            {{- end }}
          # The first start compiles the TypeScript (ts-node, transpile only): up to 2.5 minutes.
          startupProbe:
            httpGet: { path: {{ .health }}, port: http }
            periodSeconds: 5
            failureThreshold: 30
          # /health: 200 while the store answers (also when "degraded": the read models lag), 503 when
          # it does not; the ingestor's /healthz: 200 while its consumer runs. No key needed.
          readinessProbe:
            httpGet: { path: {{ .health }}, port: http }
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          # A store outage is not the pod's fault: a minute of failures before a restart.
          livenessProbe:
            httpGet: { path: {{ .health }}, port: http }
            periodSeconds: 10
            timeoutSeconds: 5
            failureThreshold: 6
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if $root.Values.tls.secretName }}
            - name: tls
              mountPath: /etc/ledger/tls
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: {}
        {{- if $root.Values.tls.secretName }}
        - name: tls
          secret:
            secretName: {{ $root.Values.tls.secretName }}
        {{- end }}
      {{- with $root.Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
