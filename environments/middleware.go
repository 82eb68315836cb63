package environments

import (
	"fmt"

	"github.com/telepace/platform-charts/apps"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// The dev umbrella's dependencies. Each chart's values are a Go struct
// whose json tags are the chart's own keys (checked against the chart's
// values.yaml at the pinned version); values.schema.json is generated from
// the same types. Only what the umbrella must set is modelled: everything
// else keeps the chart's default.

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

// alloyLogs is the Alloy pipeline: the logs of every pod in namespace,
// labelled with the
// labels LogSelector queries, to Loki.
func alloyLogs(namespace, lokiPush string) string {
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

// Service names the dev umbrella gives its middleware (fullnameOverride),
// which the services' Backends and the monitoring wiring use.
const (
	devPostgresHost = "postgresql"
	devValkeyHost   = "valkey"
	devS3Host       = "seaweedfs-s3" // <fullname>-s3
	devS3Port       = 8333
	devLokiHost     = "loki"
	devJaeger       = "jaeger"
	// The jaeger chart names its Services <fullname>-collector (OTLP on
	// 4317 and 4318) and <fullname>-query (UI and API on 16686).
	devJaegerCollector = devJaeger + "-collector"
	devJaegerQuery     = devJaeger + "-query"
)

// devGrafanaAdmin is the generated Secret Grafana's admin user and
// password come from.
const devGrafanaAdmin = "telepace-grafana"

// devDependencies are the dev umbrella's charts, pinned, with values from
// the environment: the data stores read the generated Secrets the services
// read; monitoring selects the environment's objects by its selector
// labels and keeps what Retention says.
func devDependencies(e Environment) []Dependency {
	r := e.Retention
	claim := func(size string) StorageSpec {
		return StorageSpec{VolumeClaimTemplate: VolumeClaimTemplate{Spec: VolumeClaimSpec{
			AccessModes: []string{"ReadWriteOnce"}, Resources: VolumeRequests{Requests: map[string]string{"storage": size}},
		}}}
	}
	selector := LabelSelector{MatchLabels: e.Monitoring.SelectorLabels}
	return []Dependency{
		{
			Name: "ingress", Alias: "kong", Version: "0.24.0", Repository: "https://charts.konghq.com",
			Source:  ChartSource{Repository: "github.com/Kong/charts", Path: "charts/ingress", Tag: "ingress-0.24.0", Commit: "1be63fbf765e9e85606a382e039f0ee93c0b05d5"},
			Reach:   "ClusterRole `telepace-dev-controller`: Kong's controller lists and watches Secrets, Services, Gateway API and Kong objects in every namespace; the Kong CRDs, from the crds/ of both aliases (so `helm template --include-crds` lists them twice)",
			Choices: map[string]string{"gateway.proxy.type": "LoadBalancer where the cluster has a load-balancer controller; NodePort elsewhere (kind, minikube), or helm --wait and Argo CD wait for an address that never comes"},
			Why:     "Kong's recommended chart: the controller and a DB-less gateway; the services' HTTPRoutes and plugins attach to its Gateway",
			Values: &KongValues{
				Controller: KongController{IngressController: KongIngressController{AdmissionWebhook: Toggle{Enabled: false}}, Postgresql: Toggle{Enabled: false}},
				Gateway:    KongGateway{ServiceMonitor: KongServiceMonitor{Enabled: true, TrustCRDsExist: true, Labels: e.Monitoring.SelectorLabels}, Postgresql: Toggle{Enabled: false}, Manager: Toggle{Enabled: false}, Proxy: KongProxy{Type: "LoadBalancer"}},
			},
		},
		{
			Name: "postgres", Alias: "postgresql", Version: "0.12.4", Repository: "oci://registry-1.docker.io/cloudpirates",
			Source: ChartSource{Repository: "github.com/CloudPirates-io/helm-charts", Path: "charts/postgres", Tag: "postgres-0.12.4", Commit: "834af3560b5c2c0e824a0aaa77ed7380cdc8a46e"},
			Wiring: []string{"fullnameOverride", "auth.existingSecret", "auth.username", "auth.database", "auth.secretKeys.adminPasswordKey"},
			Why:    "maintained, on the official postgres image (Bitnami's images went to a no-update registry in 2025; CloudNativePG needs its operator first)",
			Values: &PostgresValues{
				FullnameOverride: devPostgresHost,
				Auth: PostgresAuth{
					ExistingSecret: apps.PostgresSecret, Username: "telepace", Database: "telepace",
					SecretKeys: PostgresSecretKeys{AdminPasswordKey: "postgres-password"},
				},
				Persistence:              Persistence{Enabled: true, Size: r.Volumes["postgres"]},
				ContainerSecurityContext: SeccompContext{SeccompProfile: SeccompProfile{Type: "RuntimeDefault"}},
			},
			Reads: []pc.SecretReference{{Secret: apps.PostgresSecret, Key: "postgres-password", Field: "auth.existingSecret"}},
		},
		{
			Name: "valkey", Version: "0.11.0", Repository: "https://valkey.io/valkey-helm/",
			Source: ChartSource{Repository: "github.com/valkey-io/valkey-helm", Path: "valkey", Tag: "valkey-0.11.0", Commit: "dbcf6a6093cab69ef174ed0c1bb679ba92d0bf2d"},
			Wiring: []string{"fullnameOverride", "auth.usersExistingSecret"},
			Why:    "the official Valkey chart; Valkey speaks the Redis protocol the feedback API uses",
			Values: &ValkeyValues{
				FullnameOverride: devValkeyHost,
				Auth: ValkeyAuth{
					Enabled: true, UsersExistingSecret: apps.RedisSecret,
					ACLUsers: map[string]ValkeyUser{"default": {Permissions: "~* &* +@all", PasswordKey: "redis-password"}},
				},
				DataStorage: ValkeyStore{Enabled: true, RequestedSize: r.Volumes["valkey"]},
			},
			Reads: []pc.SecretReference{{Secret: apps.RedisSecret, Key: "redis-password", Field: "auth.usersExistingSecret"}},
		},
		{
			Name: "seaweedfs", Version: "4.53.0", Repository: "https://seaweedfs.github.io/seaweedfs/helm",
			Source: ChartSource{Repository: "github.com/seaweedfs/seaweedfs", Path: "k8s/charts/seaweedfs", Tag: "v0.0.0-20261109003541-7506e5f91cd6", GoModule: true},
			Reach:  "ClusterRole `seaweedfs-rw-cr`: every verb on pods in every namespace (the chart creates it unless `global.seaweedfs.createClusterRole` is false, which the umbrella leaves true; not prefixed by the release, so a second umbrella in the cluster shares it)",
			Wiring: []string{"fullnameOverride"},
			Why:    "S3-compatible object store under active maintenance (MinIO's chart and community edition are not); voiceflow's MinIO client talks S3 to it",
			Values: &SeaweedFSValues{
				FullnameOverride: "seaweedfs",
				Master:           SeaweedServer{Data: SeaweedStorage{Type: "persistentVolumeClaim", Size: "1Gi"}, Logs: SeaweedStorage{Type: "emptyDir"}},
				Filer:            SeaweedServer{Data: SeaweedStorage{Type: "persistentVolumeClaim", Size: "1Gi"}, Logs: SeaweedStorage{Type: "emptyDir"}},
				S3:               SeaweedS3{Enabled: true, Logs: SeaweedStorage{Type: "emptyDir"}},
				Volume:           SeaweedVolume{DataDirs: []SeaweedDataDir{{Name: "data", Type: "persistentVolumeClaim", Size: r.Volumes["object-store"], MaxVolumes: 0}}},
			},
		},
		{
			Name: "kube-prometheus-stack", Alias: "monitoring", Version: "88.5.3", Repository: "https://prometheus-community.github.io/helm-charts",
			Source: ChartSource{Repository: "github.com/prometheus-community/helm-charts", Path: "charts/kube-prometheus-stack", Tag: "kube-prometheus-stack-88.5.3", Commit: "ea930baeebeba39f56d6b44e351f23b2a072a600"},
			Reach:  "ClusterRoles `monitoring-operator` (every verb on ConfigMaps and Secrets, and on the operator's objects, in every namespace), `monitoring-prometheus` (service discovery in every namespace) and `telepace-dev-kube-state-metrics` (lists every object's metadata, Secrets included); the first two are not prefixed by the release; the Prometheus Operator's CRDs",
			Wiring: []string{"fullnameOverride", "grafana.admin.existingSecret", "grafana.admin.userKey", "grafana.admin.passwordKey"},
			Why:    "Prometheus Operator, Prometheus, Alertmanager and Grafana (its Grafana now from the grafana-community repository); selects the environment's ServiceMonitors, rules and AlertmanagerConfig",
			Values: &PrometheusStackValues{
				FullnameOverride:   "monitoring",
				PrometheusOperator: PrometheusOperator{AdmissionWebhooks: Toggle{Enabled: false}, TLS: Toggle{Enabled: false}},
				NodeExporter:       Toggle{Enabled: false},
				Prometheus: PrometheusInstance{PrometheusSpec: PrometheusSpec{
					Retention: r.Metrics, RetentionSize: r.MetricsSize, StorageSpec: claim(r.Volumes["prometheus"]),
					ServiceMonitorSelector: selector, RuleSelector: selector,
				}},
				Alertmanager: AlertmanagerInstance{AlertmanagerSpec: AlertmanagerSpec{
					Retention: r.Alerts, Storage: claim("1Gi"), AlertmanagerConfigSelector: selector,
				}},
				Grafana: GrafanaValues{
					Admin:         GrafanaAdmin{ExistingSecret: devGrafanaAdmin, UserKey: "admin-user", PasswordKey: "admin-password"},
					RBAC:          GrafanaRBAC{Namespaced: true},
					TestFramework: Toggle{Enabled: false},
					Sidecar: GrafanaSidecar{Dashboards: GrafanaDashboards{
						Enabled: true, Label: pc.DashboardLabel, LabelValue: "1", SearchNamespace: e.Namespace,
						FolderAnnotation: pc.DashboardFolderAnnotation,
						Provider:         GrafanaDashboardProvider{FoldersFromFilesStructure: true},
					}},
					AdditionalDataSources: []GrafanaDataSource{
						{Name: "Loki", Type: "loki", UID: "loki", URL: fmt.Sprintf("http://%s:3100", devLokiHost), Access: "proxy"},
						{Name: "Jaeger", Type: "jaeger", UID: "jaeger", URL: fmt.Sprintf("http://%s:16686", devJaegerQuery), Access: "proxy"},
					},
				},
			},
			Reads: []pc.SecretReference{
				{Secret: devGrafanaAdmin, Key: "admin-user", Field: "grafana.admin.userKey"},
				{Secret: devGrafanaAdmin, Key: "admin-password", Field: "grafana.admin.passwordKey"},
			},
		},
		{
			Name: "loki", Version: "18.11.0", Repository: "https://grafana-community.github.io/helm-charts",
			Source: ChartSource{Repository: "github.com/grafana-community/helm-charts", Path: "charts/loki", Tag: "loki-18.11.0", Commit: "3386a1156177c6bcd7fdb1ad4c6b1dda094296e0"},
			Wiring: []string{"fullnameOverride"},
			Why:    "log store, monolithic on a filesystem volume, retention by its compactor (loki-stack and promtail are deprecated)",
			Values: &LokiValues{
				FullnameOverride: devLokiHost,
				DeploymentMode:   "SingleBinary",
				Loki: LokiConfig{
					CommonConfig: LokiCommon{ReplicationFactor: 1},
					Storage:      LokiStorage{Type: "filesystem"},
					SchemaConfig: LokiSchemaConfig{Configs: []LokiSchema{{From: "2024-04-01", Store: "tsdb", ObjectStore: "filesystem", Schema: "v13", Index: LokiIndex{Prefix: "index_", Period: "24h"}}}},
					Compactor:    LokiCompactor{RetentionEnabled: true, DeleteRequestStore: "filesystem"},
					LimitsConfig: LokiLimits{RetentionPeriod: r.Logs},
				},
				SingleBinary: LokiBinary{Replicas: 1, Persistence: Persistence{Enabled: true, Size: r.Volumes["loki"]}},
				RBAC:         GrafanaRBAC{Namespaced: true},
				Sidecar:      LokiSidecar{Rules: Toggle{Enabled: false}},
			},
		},
		{
			Name: "alloy", Version: "1.11.1", Repository: "https://grafana.github.io/helm-charts",
			Source: ChartSource{Repository: "github.com/grafana/alloy", Path: "operations/helm/charts/alloy", Tag: "helm-chart/1.11.1", Commit: "233907cff225ce253f812bdfc14138dac1fa0cd2"},
			Reach:  "ClusterRole `telepace-dev-alloy` (get, list and watch ConfigMaps and Secrets, and read pods and their logs, in every namespace), which the chart always creates; its configuration discovers only this namespace's pods",
			Why:    "log agent, from the Alloy team's repository: pod logs through the Kubernetes API to Loki, with the labels the dashboards query",
			Values: &AlloyValues{
				Alloy:      AlloyConfig{ConfigMap: AlloyConfigMap{Create: true, Content: alloyLogs(e.Namespace, fmt.Sprintf("http://%s:3100/loki/api/v1/push", devLokiHost))}},
				Controller: AlloyController{Type: "deployment", Replicas: 1},
			},
		},
		{
			Name: "jaeger", Version: "4.1.0", Repository: "https://jaegertracing.github.io/helm-charts",
			Source: ChartSource{Repository: "github.com/jaegertracing/helm-charts", Path: "charts/jaeger", Tag: "jaeger-4.1.0", Commit: "2c6f401a2ceae75fe48531c3074670cc279760b7"},
			Wiring: []string{"fullnameOverride"},
			Why:    "Jaeger v2 all-in-one, traces in memory, OTLP on 4318 where the services send them",
			Values: &JaegerValues{FullnameOverride: devJaeger},
		},
		{
			Name: "external-secrets", Version: "0.16.1", Repository: "https://charts.external-secrets.io",
			Source: ChartSource{Repository: "github.com/external-secrets/external-secrets", Path: "deploy/charts/external-secrets", Tag: "v0.16.2", GoModule: true},
			Reach:  "ClusterRole `telepace-dev-external-secrets-servicebindings`, aggregated into service-binding roles, bound by nothing; the controller itself has Roles in this namespace only",
			Why:    "the chart of the External Secrets Operator release whose CRDs are pinned (module v0.16.2 ships chart 0.16.1); generates dev's data-store passwords",
			Values: &ExternalSecretsValues{
				InstallCRDs: false, Webhook: Create{Create: false}, CertController: Create{Create: false},
				ScopedNamespace: e.Namespace, ScopedRBAC: true,
			},
		},
		{
			Name: "sealed-secrets", Version: "2.19.3", Repository: "https://bitnami-labs.github.io/sealed-secrets",
			Source: ChartSource{Repository: "github.com/bitnami-labs/sealed-secrets", Path: "helm/sealed-secrets", Tag: "v0.40.0", GoModule: true},
			Wiring: []string{"fullnameOverride"},
			Why:    "the chart the pinned sealed-secrets module ships; unseals SealedSecrets",
			Values: &SealedSecretsValues{
				FullnameOverride: "sealed-secrets-controller", Args: []string{"--all-namespaces=false"},
				AdditionalNamespaces: []string{e.Namespace}, RBAC: SealedSecretsRBAC{ClusterRole: false, NamespacedRoles: true},
			},
		},
	}
}
