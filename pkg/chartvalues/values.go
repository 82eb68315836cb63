package chartvalues

import "fmt"

// Persistence is a chart's persistent volume.
type Persistence struct {
	Enabled bool   `json:"enabled"`
	Size    string `json:"size"`
}

// KongValues are the kong/ingress chart's values: the controller and the
// gateway, both the kong chart under aliases.
type KongValues struct {
	Controller KongController `json:"controller"`
	Gateway    KongGateway    `json:"gateway"`
}

// KongGateway is the gateway instance of kong/ingress.
type KongGateway struct {
	// ServiceMonitor makes Prometheus scrape the gateway's status
	// listener, where the cluster-wide prometheus plugin's metrics are,
	// so the 5xx and p99 alerts and the route panels have data.
	ServiceMonitor KongServiceMonitor `json:"serviceMonitor"`
	// Postgresql: see KongController.Postgresql.
	Postgresql Toggle `json:"postgresql"`
	// Manager is Kong Manager's Service, a NodePort by default: off, so
	// the admin GUI is not reachable from outside the cluster.
	Manager Toggle `json:"manager"`
	// Proxy is the public entry point's Service.
	Proxy KongProxy `json:"proxy"`
}

// KongProxy is the gateway's proxy Service.
type KongProxy struct {
	// Type is LoadBalancer where the cluster has a load-balancer
	// controller; elsewhere (kind, minikube) the Service never gets an
	// address, and helm --wait and Argo CD's health check wait for it:
	// use NodePort there.
	Type string `json:"type" jsonschema:"enum=LoadBalancer,enum=NodePort,enum=ClusterIP"`
}

// KongServiceMonitor is the kong chart's ServiceMonitor: it selects the
// proxy Service (labelled enable-metrics) and scrapes its status port.
type KongServiceMonitor struct {
	Enabled bool `json:"enabled"`
	// TrustCRDsExist renders it on a first install, before the
	// monitoring dependency's CRDs are known to the API server.
	TrustCRDsExist bool `json:"trustCRDsExist"`
	// Labels are the environment's monitoring selector labels, which
	// Prometheus selects ServiceMonitors by.
	Labels map[string]string `json:"labels"`
}

// KongController is the controller instance of kong/ingress.
type KongController struct {
	IngressController KongIngressController `json:"ingressController"`
	// Postgresql is the kong chart's bundled database, unused by a
	// DB-less gateway. It is off by default, but Helm renders a
	// grandchild of a chart included twice under different aliases
	// whatever its condition (a known Helm bug), and that render fails:
	// it must be switched off under both aliases explicitly.
	Postgresql Toggle `json:"postgresql"`
}

// KongIngressController configures the Kong Ingress Controller.
type KongIngressController struct {
	// AdmissionWebhook is off in dev: a webhook with no ready pod rejects
	// creates during a one-click install.
	AdmissionWebhook Toggle `json:"admissionWebhook"`
}

// Toggle is a chart feature's enabled switch.
type Toggle struct {
	Enabled bool `json:"enabled"`
}

// PostgresValues are the CloudPirates postgres chart's values.
type PostgresValues struct {
	FullnameOverride string       `json:"fullnameOverride"`
	Auth             PostgresAuth `json:"auth"`
	Persistence      Persistence  `json:"persistence"`
	// ContainerSecurityContext adds the RuntimeDefault seccomp profile to
	// the chart's own hardening (non-root, no escalation, no
	// capabilities), which is all restricted still asks for.
	ContainerSecurityContext SeccompContext `json:"containerSecurityContext"`
}

// SeccompContext sets a security context's seccomp profile.
type SeccompContext struct {
	SeccompProfile SeccompProfile `json:"seccompProfile"`
}

// SeccompProfile is a seccomp profile type, such as RuntimeDefault.
type SeccompProfile struct {
	Type string `json:"type"`
}

// PostgresAuth takes the superuser's name, password and database from the
// generated Secret the services read too.
type PostgresAuth struct {
	ExistingSecret string             `json:"existingSecret"`
	Username       string             `json:"username"`
	Database       string             `json:"database"`
	SecretKeys     PostgresSecretKeys `json:"secretKeys"`
}

// PostgresSecretKeys name the keys of the existing Secret.
type PostgresSecretKeys struct {
	AdminPasswordKey string `json:"adminPasswordKey"`
}

// ValkeyValues are the official valkey chart's values (0.x).
type ValkeyValues struct {
	FullnameOverride string      `json:"fullnameOverride"`
	Auth             ValkeyAuth  `json:"auth"`
	DataStorage      ValkeyStore `json:"dataStorage"`
}

// ValkeyAuth turns on ACL authentication with passwords from a Secret.
type ValkeyAuth struct {
	Enabled             bool                  `json:"enabled"`
	UsersExistingSecret string                `json:"usersExistingSecret"`
	ACLUsers            map[string]ValkeyUser `json:"aclUsers"`
}

// ValkeyUser is an ACL user whose password is the Secret's PasswordKey.
type ValkeyUser struct {
	Permissions string `json:"permissions"`
	PasswordKey string `json:"passwordKey"`
}

// ValkeyStore is valkey's data volume.
type ValkeyStore struct {
	Enabled       bool   `json:"enabled"`
	RequestedSize string `json:"requestedSize"`
}

// SeaweedFSValues are the seaweedfs chart's values: master, volume and
// filer servers with the S3 gateway (service <fullname>-s3, port 8333),
// which voiceflow's VOICEFLOW_MINIO_* settings point at. Every server
// keeps its data on a persistent volume claim and its logs in an
// emptyDir; the chart's default for both is a hostPath on the node.
type SeaweedFSValues struct {
	FullnameOverride string        `json:"fullnameOverride"`
	Master           SeaweedServer `json:"master"`
	Filer            SeaweedServer `json:"filer"`
	S3               SeaweedS3     `json:"s3"`
	Volume           SeaweedVolume `json:"volume"`
}

// SeaweedS3 is the S3 gateway; its logs are in an emptyDir (the chart's
// default is a hostPath).
type SeaweedS3 struct {
	Enabled bool           `json:"enabled"`
	Logs    SeaweedStorage `json:"logs"`
}

// SeaweedServer is a master's or filer's storage.
type SeaweedServer struct {
	Data SeaweedStorage `json:"data"`
	Logs SeaweedStorage `json:"logs"`
}

// SeaweedStorage is one of a server's volumes: "persistentVolumeClaim"
// with a size, or "emptyDir".
type SeaweedStorage struct {
	Type string `json:"type"`
	Size string `json:"size,omitempty"`
}

// SeaweedVolume is the volume server's storage.
type SeaweedVolume struct {
	DataDirs []SeaweedDataDir `json:"dataDirs"`
}

// SeaweedDataDir is one data directory on a persistent volume claim.
type SeaweedDataDir struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Size       string `json:"size"`
	MaxVolumes int    `json:"maxVolumes"`
}

// PrometheusStackValues are kube-prometheus-stack's values.
type PrometheusStackValues struct {
	FullnameOverride   string               `json:"fullnameOverride"`
	PrometheusOperator PrometheusOperator   `json:"prometheusOperator"`
	Prometheus         PrometheusInstance   `json:"prometheus"`
	Alertmanager       AlertmanagerInstance `json:"alertmanager"`
	Grafana            GrafanaValues        `json:"grafana"`
	// The control-plane scrape targets live in kube-system, outside the
	// umbrella's namespace and its Argo CD project; clusters differ in
	// what they expose there anyway.
	CoreDNS               Toggle `json:"coreDns"`
	KubeEtcd              Toggle `json:"kubeEtcd"`
	KubeControllerManager Toggle `json:"kubeControllerManager"`
	KubeScheduler         Toggle `json:"kubeScheduler"`
	KubeProxy             Toggle `json:"kubeProxy"`
	// NodeExporter is off: it needs the host's network, PID namespace
	// and filesystem, which no namespace below privileged admits, and the
	// dev umbrella is about the services, not the nodes.
	NodeExporter Toggle `json:"nodeExporter"`
}

// PrometheusOperator configures the operator; its admission webhook is off
// in dev, for the same reason as Kong's.
type PrometheusOperator struct {
	AdmissionWebhooks Toggle `json:"admissionWebhooks"`
	// TLS is the operator's own HTTPS listener, which exists to serve
	// the admission webhooks; with them off, nothing creates the
	// certificate Secret it mounts, and the pod could never start.
	TLS Toggle `json:"tls"`
}

// PrometheusInstance is the Prometheus server.
type PrometheusInstance struct {
	PrometheusSpec PrometheusSpec `json:"prometheusSpec"`
}

// PrometheusSpec sets retention, storage and which ServiceMonitors and
// rules Prometheus selects (those labelled with the environment's
// Monitoring.SelectorLabels).
type PrometheusSpec struct {
	Retention              string        `json:"retention"`
	RetentionSize          string        `json:"retentionSize"`
	StorageSpec            StorageSpec   `json:"storageSpec"`
	ServiceMonitorSelector LabelSelector `json:"serviceMonitorSelector"`
	RuleSelector           LabelSelector `json:"ruleSelector"`
}

// AlertmanagerInstance is Alertmanager.
type AlertmanagerInstance struct {
	AlertmanagerSpec AlertmanagerSpec `json:"alertmanagerSpec"`
}

// AlertmanagerSpec sets retention, storage and which AlertmanagerConfigs
// are read.
type AlertmanagerSpec struct {
	Retention                  string        `json:"retention"`
	Storage                    StorageSpec   `json:"storage"`
	AlertmanagerConfigSelector LabelSelector `json:"alertmanagerConfigSelector"`
}

// LabelSelector selects objects by labels.
type LabelSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

// StorageSpec is a volume claim template of the Prometheus Operator.
type StorageSpec struct {
	VolumeClaimTemplate VolumeClaimTemplate `json:"volumeClaimTemplate"`
}

// VolumeClaimTemplate asks for a volume of a size.
type VolumeClaimTemplate struct {
	Spec VolumeClaimSpec `json:"spec"`
}

// VolumeClaimSpec is the claim's access mode and size.
type VolumeClaimSpec struct {
	AccessModes []string       `json:"accessModes"`
	Resources   VolumeRequests `json:"resources"`
}

// VolumeRequests request storage.
type VolumeRequests struct {
	Requests map[string]string `json:"requests"`
}

// GrafanaValues configure the Grafana subchart: the dashboard sidecar
// loads the services' dashboard ConfigMaps; Loki and Jaeger are data
// sources.
type GrafanaValues struct {
	// Admin takes the admin user and password from a generated Secret,
	// so no render invents one (a random password in the chart's own
	// Secret would differ on every render, and Argo CD would never see
	// the application in sync).
	Admin GrafanaAdmin `json:"admin"`
	// RBAC gives the sidecars a Role in the umbrella's namespace rather
	// than a ClusterRole over every namespace.
	RBAC GrafanaRBAC `json:"rbac"`
	// TestFramework is the chart's helm test Pod, which meets no Pod
	// Security level above baseline; off.
	TestFramework         Toggle              `json:"testFramework"`
	Sidecar               GrafanaSidecar      `json:"sidecar"`
	AdditionalDataSources []GrafanaDataSource `json:"additionalDataSources"`
}

// GrafanaAdmin names the Secret, and its keys, that hold Grafana's admin
// user and password.
type GrafanaAdmin struct {
	ExistingSecret string `json:"existingSecret"`
	UserKey        string `json:"userKey"`
	PasswordKey    string `json:"passwordKey"`
}

// GrafanaRBAC scopes Grafana's RBAC.
type GrafanaRBAC struct {
	Namespaced bool `json:"namespaced"`
}

// GrafanaSidecar watches for dashboards.
type GrafanaSidecar struct {
	Dashboards GrafanaDashboards `json:"dashboards"`
}

// GrafanaDashboards is the dashboard sidecar. It watches the release's
// namespace, where the services' dashboard ConfigMaps are.
type GrafanaDashboards struct {
	Enabled    bool   `json:"enabled"`
	Label      string `json:"label"`
	LabelValue string `json:"labelValue"`
	// SearchNamespace is the umbrella's namespace: with a namespaced
	// Role, the sidecar cannot list ConfigMaps anywhere else
	// (kube-prometheus-stack's default is ALL).
	SearchNamespace string `json:"searchNamespace"`
	// FolderAnnotation is the ConfigMap annotation whose value is the
	// dashboard's folder; the provider turns those directories into
	// Grafana folders.
	FolderAnnotation string                   `json:"folderAnnotation"`
	Provider         GrafanaDashboardProvider `json:"provider"`
}

// GrafanaDashboardProvider is the dashboard provider of the sidecar.
type GrafanaDashboardProvider struct {
	FoldersFromFilesStructure bool `json:"foldersFromFilesStructure"`
}

// GrafanaDataSource is a Grafana data source.
type GrafanaDataSource struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	UID    string `json:"uid"`
	URL    string `json:"url"`
	Access string `json:"access"`
}

// LokiValues are the loki chart's values: a single binary on a filesystem
// volume, retention enforced by the compactor.
type LokiValues struct {
	FullnameOverride string     `json:"fullnameOverride"`
	DeploymentMode   string     `json:"deploymentMode"`
	Loki             LokiConfig `json:"loki"`
	SingleBinary     LokiBinary `json:"singleBinary"`
	Write            Replicas   `json:"write"`
	Read             Replicas   `json:"read"`
	Backend          Replicas   `json:"backend"`
	Gateway          Toggle     `json:"gateway"`
	ChunksCache      Toggle     `json:"chunksCache"`
	ResultsCache     Toggle     `json:"resultsCache"`
	LokiCanary       Toggle     `json:"lokiCanary"`
	Test             Toggle     `json:"test"`
	// RBAC is namespaced, and the rules sidecar (which would read
	// ConfigMaps and Secrets in every namespace) is off: the platform
	// ships no Loki rules.
	RBAC    GrafanaRBAC `json:"rbac"`
	Sidecar LokiSidecar `json:"sidecar"`
}

// LokiSidecar is loki's rules sidecar.
type LokiSidecar struct {
	Rules Toggle `json:"rules"`
}

// Replicas is a component's replica count.
type Replicas struct {
	Replicas int `json:"replicas"`
}

// LokiBinary is the single binary.
type LokiBinary struct {
	Replicas    int         `json:"replicas"`
	Persistence Persistence `json:"persistence"`
}

// LokiConfig is Loki's own configuration.
type LokiConfig struct {
	AuthEnabled  bool             `json:"auth_enabled"`
	CommonConfig LokiCommon       `json:"commonConfig"`
	Storage      LokiStorage      `json:"storage"`
	SchemaConfig LokiSchemaConfig `json:"schemaConfig"`
	Compactor    LokiCompactor    `json:"compactor"`
	LimitsConfig LokiLimits       `json:"limits_config"`
}

// LokiCommon is Loki's common configuration.
type LokiCommon struct {
	ReplicationFactor int `json:"replication_factor"`
}

// LokiStorage is where chunks go.
type LokiStorage struct {
	Type string `json:"type"`
}

// LokiSchemaConfig is Loki's index schema.
type LokiSchemaConfig struct {
	Configs []LokiSchema `json:"configs"`
}

// LokiSchema is one schema period.
type LokiSchema struct {
	From        string    `json:"from"`
	Store       string    `json:"store"`
	ObjectStore string    `json:"object_store"`
	Schema      string    `json:"schema"`
	Index       LokiIndex `json:"index"`
}

// LokiIndex is the index table layout.
type LokiIndex struct {
	Prefix string `json:"prefix"`
	Period string `json:"period"`
}

// LokiCompactor deletes logs past their retention.
type LokiCompactor struct {
	RetentionEnabled   bool   `json:"retention_enabled"`
	DeleteRequestStore string `json:"delete_request_store"`
}

// LokiLimits hold the retention period.
type LokiLimits struct {
	RetentionPeriod string `json:"retention_period"`
}

// AlloyValues are the alloy chart's values: a DaemonSet that tails pod
// logs through the Kubernetes API and pushes them to Loki.
type AlloyValues struct {
	Alloy AlloyConfig `json:"alloy"`
	CRDs  AlloyCRDs   `json:"crds"`
	// Controller is one Deployment replica, not a DaemonSet: it reads the
	// logs through the Kubernetes API, not from the node, and one
	// instance per node would ship every line once per node.
	Controller AlloyController `json:"controller"`
}

// AlloyController is how Alloy runs.
type AlloyController struct {
	Type     string `json:"type"`
	Replicas int    `json:"replicas"`
}

// AlloyConfig is Alloy's configuration file.
type AlloyConfig struct {
	ConfigMap AlloyConfigMap `json:"configMap"`
}

// AlloyConfigMap holds the configuration text.
type AlloyConfigMap struct {
	Create  bool   `json:"create"`
	Content string `json:"content"`
}

// AlloyCRDs switches Alloy's own CRDs; not needed for pod logs.
type AlloyCRDs struct {
	Create bool `json:"create"`
}

// JaegerValues are the jaeger (v2) chart's values: one all-in-one
// instance (the chart's default), traces in memory, OTLP on 4317 and 4318
// of <fullname>-collector, the UI and API on 16686 of <fullname>-query.
type JaegerValues struct {
	FullnameOverride string `json:"fullnameOverride"`
}

// ExternalSecretsValues are the external-secrets chart's values: its CRDs
// come from the umbrella's crds/ (so the umbrella's own ExternalSecrets
// can be created in the same release), and no webhook blocks a first
// install.
//
// The controller is scoped to the umbrella's namespace, with Roles rather
// than ClusterRoles, and ignores the cluster-wide kinds.
type ExternalSecretsValues struct {
	InstallCRDs                  bool   `json:"installCRDs"`
	Webhook                      Create `json:"webhook"`
	CertController               Create `json:"certController"`
	ScopedNamespace              string `json:"scopedNamespace"`
	ScopedRBAC                   bool   `json:"scopedRBAC"`
	ProcessClusterStore          bool   `json:"processClusterStore"`
	ProcessClusterExternalSecret bool   `json:"processClusterExternalSecret"`
	ProcessClusterPushSecret     bool   `json:"processClusterPushSecret"`
	ProcessPushSecret            bool   `json:"processPushSecret"`
}

// Create is a chart component's create switch.
type Create struct {
	Create bool `json:"create"`
}

// SealedSecretsValues are the sealed-secrets chart's values.
type SealedSecretsValues struct {
	// FullnameOverride gives the controller the name kubeseal looks for.
	FullnameOverride string `json:"fullnameOverride"`
	// Args are extra controller flags: in dev, unseal in the umbrella's
	// namespace only.
	Args []string `json:"args"`
	// AdditionalNamespaces and RBAC give the controller a Role in the
	// umbrella's namespace instead of the chart's default ClusterRole,
	// which may create, update and delete Secrets in every namespace.
	AdditionalNamespaces []string          `json:"additionalNamespaces"`
	RBAC                 SealedSecretsRBAC `json:"rbac"`
}

// SealedSecretsRBAC chooses namespaced Roles over the ClusterRole.
type SealedSecretsRBAC struct {
	ClusterRole     bool `json:"clusterRole"`
	NamespacedRoles bool `json:"namespacedRoles"`
}

// AlloyLogs is the Alloy pipeline: the logs of every pod in namespace,
// labelled with the labels queries.LogSelector queries, pushed to Loki at
// lokiPush.
func AlloyLogs(namespace, lokiPush string) string {
	return fmt.Sprintf(`discovery.kubernetes "pods" {
  role = "pod"
  namespaces {
    names = [%q]
  }
}

discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "service"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_component"]
    target_label  = "component"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_telepace_cc_environment"]
    target_label  = "environment"
  }
}

loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.default.receiver]
}

loki.write "default" {
  endpoint {
    url = %q
  }
}
`, namespace, lokiPush)
}
