package environments

import (
	"fmt"

	cv "github.com/telepace/platform-charts/pkg/chartvalues"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

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

// devDependencies are the dev umbrella's charts, pinned, with values from
// the environment: the data stores read the generated Secrets the services
// read; monitoring selects the environment's objects by its selector
// labels and keeps what Retention says.
func devDependencies(e Environment) []Dependency {
	r := e.Retention
	claim := func(size string) cv.StorageSpec {
		return cv.StorageSpec{VolumeClaimTemplate: cv.VolumeClaimTemplate{Spec: cv.VolumeClaimSpec{
			AccessModes: []string{"ReadWriteOnce"}, Resources: cv.VolumeRequests{Requests: map[string]string{"storage": size}},
		}}}
	}
	selector := cv.LabelSelector{MatchLabels: e.Monitoring.SelectorLabels}
	return []Dependency{
		{
			Name: "ingress", Alias: "kong", Version: "0.24.0", Repository: "https://charts.konghq.com",
			Source:  ChartSource{Repository: "github.com/Kong/charts", Path: "charts/ingress", Tag: "ingress-0.24.0", Commit: "1be63fbf765e9e85606a382e039f0ee93c0b05d5"},
			Reach:   "ClusterRole `telepace-dev-controller`: Kong's controller lists and watches Secrets, Services, Gateway API and Kong objects in every namespace; the Kong CRDs, from the crds/ of both aliases (so `helm template --include-crds` lists them twice)",
			Choices: map[string]string{"gateway.proxy.type": "LoadBalancer where the cluster has a load-balancer controller; NodePort elsewhere (kind, minikube), or helm --wait and Argo CD wait for an address that never comes"},
			Why:     "Kong's recommended chart: the controller and a DB-less gateway; the services' HTTPRoutes and plugins attach to its Gateway",
			Values: &cv.KongValues{
				Controller: cv.KongController{IngressController: cv.KongIngressController{AdmissionWebhook: cv.Toggle{Enabled: false}}, Postgresql: cv.Toggle{Enabled: false}},
				Gateway:    cv.KongGateway{ServiceMonitor: cv.KongServiceMonitor{Enabled: true, TrustCRDsExist: true, Labels: e.Monitoring.SelectorLabels}, Postgresql: cv.Toggle{Enabled: false}, Manager: cv.Toggle{Enabled: false}, Proxy: cv.KongProxy{Type: "LoadBalancer"}},
			},
		},
		{
			Name: "postgres", Alias: "postgresql", Version: "0.12.4", Repository: "oci://registry-1.docker.io/cloudpirates",
			Source: ChartSource{Repository: "github.com/CloudPirates-io/helm-charts", Path: "charts/postgres", Tag: "postgres-0.12.4", Commit: "834af3560b5c2c0e824a0aaa77ed7380cdc8a46e"},
			Wiring: []string{"fullnameOverride", "auth.existingSecret", "auth.username", "auth.database", "auth.secretKeys.adminPasswordKey"},
			Why:    "maintained, on the official postgres image (Bitnami's images went to a no-update registry in 2025; CloudNativePG needs its operator first)",
			Values: &cv.PostgresValues{
				FullnameOverride: devPostgresHost,
				Auth: cv.PostgresAuth{
					ExistingSecret: names.PostgresSecret, Username: "telepace", Database: "telepace",
					SecretKeys: cv.PostgresSecretKeys{AdminPasswordKey: "postgres-password"},
				},
				Persistence:              cv.Persistence{Enabled: true, Size: r.Volumes["postgres"]},
				ContainerSecurityContext: cv.SeccompContext{SeccompProfile: cv.SeccompProfile{Type: "RuntimeDefault"}},
			},
			Reads: []pc.SecretReference{{Secret: names.PostgresSecret, Key: "postgres-password", Field: "auth.existingSecret"}},
		},
		{
			Name: "valkey", Version: "0.11.0", Repository: "https://valkey.io/valkey-helm/",
			Source: ChartSource{Repository: "github.com/valkey-io/valkey-helm", Path: "valkey", Tag: "valkey-0.11.0", Commit: "dbcf6a6093cab69ef174ed0c1bb679ba92d0bf2d"},
			Wiring: []string{"fullnameOverride", "auth.usersExistingSecret"},
			Why:    "the official Valkey chart; Valkey speaks the Redis protocol the feedback API uses",
			Values: &cv.ValkeyValues{
				FullnameOverride: devValkeyHost,
				Auth: cv.ValkeyAuth{
					Enabled: true, UsersExistingSecret: names.RedisSecret,
					ACLUsers: map[string]cv.ValkeyUser{"default": {Permissions: "~* &* +@all", PasswordKey: "redis-password"}},
				},
				DataStorage: cv.ValkeyStore{Enabled: true, RequestedSize: r.Volumes["valkey"]},
			},
			Reads: []pc.SecretReference{{Secret: names.RedisSecret, Key: "redis-password", Field: "auth.usersExistingSecret"}},
		},
		{
			Name: "seaweedfs", Version: "4.53.0", Repository: "https://seaweedfs.github.io/seaweedfs/helm",
			Source: ChartSource{Repository: "github.com/seaweedfs/seaweedfs", Path: "k8s/charts/seaweedfs", Tag: "v0.0.0-20261109003541-7506e5f91cd6", GoModule: true},
			Reach:  "ClusterRole `seaweedfs-rw-cr`: every verb on pods in every namespace (the chart creates it unless `global.seaweedfs.createClusterRole` is false, which the umbrella leaves true; not prefixed by the release, so a second umbrella in the cluster shares it)",
			Wiring: []string{"fullnameOverride"},
			Why:    "S3-compatible object store under active maintenance (MinIO's chart and community edition are not); voiceflow's MinIO client talks S3 to it",
			Values: &cv.SeaweedFSValues{
				FullnameOverride: "seaweedfs",
				Master:           cv.SeaweedServer{Data: cv.SeaweedStorage{Type: "persistentVolumeClaim", Size: "1Gi"}, Logs: cv.SeaweedStorage{Type: "emptyDir"}},
				Filer:            cv.SeaweedServer{Data: cv.SeaweedStorage{Type: "persistentVolumeClaim", Size: "1Gi"}, Logs: cv.SeaweedStorage{Type: "emptyDir"}},
				S3:               cv.SeaweedS3{Enabled: true, Logs: cv.SeaweedStorage{Type: "emptyDir"}},
				Volume:           cv.SeaweedVolume{DataDirs: []cv.SeaweedDataDir{{Name: "data", Type: "persistentVolumeClaim", Size: r.Volumes["object-store"], MaxVolumes: 0}}},
			},
		},
		{
			Name: "kube-prometheus-stack", Alias: "monitoring", Version: "88.5.3", Repository: "https://prometheus-community.github.io/helm-charts",
			Source: ChartSource{Repository: "github.com/prometheus-community/helm-charts", Path: "charts/kube-prometheus-stack", Tag: "kube-prometheus-stack-88.5.3", Commit: "ea930baeebeba39f56d6b44e351f23b2a072a600"},
			Reach:  "ClusterRoles `monitoring-operator` (every verb on ConfigMaps and Secrets, and on the operator's objects, in every namespace), `monitoring-prometheus` (service discovery in every namespace) and `telepace-dev-kube-state-metrics` (lists every object's metadata, Secrets included); the first two are not prefixed by the release; the Prometheus Operator's CRDs",
			Wiring: []string{"fullnameOverride", "grafana.admin.existingSecret", "grafana.admin.userKey", "grafana.admin.passwordKey"},
			Why:    "Prometheus Operator, Prometheus, Alertmanager and Grafana (its Grafana now from the grafana-community repository); selects the environment's ServiceMonitors, rules and AlertmanagerConfig",
			Values: &cv.PrometheusStackValues{
				FullnameOverride:   "monitoring",
				PrometheusOperator: cv.PrometheusOperator{AdmissionWebhooks: cv.Toggle{Enabled: false}, TLS: cv.Toggle{Enabled: false}},
				NodeExporter:       cv.Toggle{Enabled: false},
				Prometheus: cv.PrometheusInstance{PrometheusSpec: cv.PrometheusSpec{
					Retention: r.Metrics, RetentionSize: r.MetricsSize, StorageSpec: claim(r.Volumes["prometheus"]),
					ServiceMonitorSelector: selector, RuleSelector: selector,
				}},
				Alertmanager: cv.AlertmanagerInstance{AlertmanagerSpec: cv.AlertmanagerSpec{
					Retention: r.Alerts, Storage: claim("1Gi"), AlertmanagerConfigSelector: selector,
				}},
				Grafana: cv.GrafanaValues{
					Admin:         cv.GrafanaAdmin{ExistingSecret: names.GrafanaAdminSecret, UserKey: "admin-user", PasswordKey: "admin-password"},
					RBAC:          cv.GrafanaRBAC{Namespaced: true},
					TestFramework: cv.Toggle{Enabled: false},
					Sidecar: cv.GrafanaSidecar{Dashboards: cv.GrafanaDashboards{
						Enabled: true, Label: pc.DashboardLabel, LabelValue: "1", SearchNamespace: e.Namespace,
						FolderAnnotation: pc.DashboardFolderAnnotation,
						Provider:         cv.GrafanaDashboardProvider{FoldersFromFilesStructure: true},
					}},
					AdditionalDataSources: []cv.GrafanaDataSource{
						{Name: "Loki", Type: "loki", UID: "loki", URL: fmt.Sprintf("http://%s:3100", devLokiHost), Access: "proxy"},
						{Name: "Jaeger", Type: "jaeger", UID: "jaeger", URL: fmt.Sprintf("http://%s:16686", devJaegerQuery), Access: "proxy"},
					},
				},
			},
			Reads: []pc.SecretReference{
				{Secret: names.GrafanaAdminSecret, Key: "admin-user", Field: "grafana.admin.userKey"},
				{Secret: names.GrafanaAdminSecret, Key: "admin-password", Field: "grafana.admin.passwordKey"},
			},
		},
		{
			Name: "loki", Version: "18.11.0", Repository: "https://grafana-community.github.io/helm-charts",
			Source: ChartSource{Repository: "github.com/grafana-community/helm-charts", Path: "charts/loki", Tag: "loki-18.11.0", Commit: "3386a1156177c6bcd7fdb1ad4c6b1dda094296e0"},
			Wiring: []string{"fullnameOverride"},
			Why:    "log store, monolithic on a filesystem volume, retention by its compactor (loki-stack and promtail are deprecated)",
			Values: &cv.LokiValues{
				FullnameOverride: devLokiHost,
				DeploymentMode:   "SingleBinary",
				Loki: cv.LokiConfig{
					CommonConfig: cv.LokiCommon{ReplicationFactor: 1},
					Storage:      cv.LokiStorage{Type: "filesystem"},
					SchemaConfig: cv.LokiSchemaConfig{Configs: []cv.LokiSchema{{From: "2024-04-01", Store: "tsdb", ObjectStore: "filesystem", Schema: "v13", Index: cv.LokiIndex{Prefix: "index_", Period: "24h"}}}},
					Compactor:    cv.LokiCompactor{RetentionEnabled: true, DeleteRequestStore: "filesystem"},
					LimitsConfig: cv.LokiLimits{RetentionPeriod: r.Logs},
				},
				SingleBinary: cv.LokiBinary{Replicas: 1, Persistence: cv.Persistence{Enabled: true, Size: r.Volumes["loki"]}},
				RBAC:         cv.GrafanaRBAC{Namespaced: true},
				Sidecar:      cv.LokiSidecar{Rules: cv.Toggle{Enabled: false}},
			},
		},
		{
			Name: "alloy", Version: "1.11.1", Repository: "https://grafana.github.io/helm-charts",
			Source: ChartSource{Repository: "github.com/grafana/alloy", Path: "operations/helm/charts/alloy", Tag: "helm-chart/1.11.1", Commit: "233907cff225ce253f812bdfc14138dac1fa0cd2"},
			Reach:  "ClusterRole `telepace-dev-alloy` (get, list and watch ConfigMaps and Secrets, and read pods and their logs, in every namespace), which the chart always creates; its configuration discovers only this namespace's pods",
			Why:    "log agent, from the Alloy team's repository: pod logs through the Kubernetes API to Loki, with the labels the dashboards query",
			Values: &cv.AlloyValues{
				Alloy:      cv.AlloyConfig{ConfigMap: cv.AlloyConfigMap{Create: true, Content: cv.AlloyLogs(e.Namespace, fmt.Sprintf("http://%s:3100/loki/api/v1/push", devLokiHost))}},
				Controller: cv.AlloyController{Type: "deployment", Replicas: 1},
			},
		},
		{
			Name: "jaeger", Version: "4.1.0", Repository: "https://jaegertracing.github.io/helm-charts",
			Source: ChartSource{Repository: "github.com/jaegertracing/helm-charts", Path: "charts/jaeger", Tag: "jaeger-4.1.0", Commit: "2c6f401a2ceae75fe48531c3074670cc279760b7"},
			Wiring: []string{"fullnameOverride"},
			Why:    "Jaeger v2 all-in-one, traces in memory, OTLP on 4318 where the services send them",
			Values: &cv.JaegerValues{FullnameOverride: devJaeger},
		},
		{
			Name: "external-secrets", Version: "0.16.1", Repository: "https://charts.external-secrets.io",
			Source: ChartSource{Repository: "github.com/external-secrets/external-secrets", Path: "deploy/charts/external-secrets", Tag: "v0.16.2", GoModule: true},
			Reach:  "ClusterRole `telepace-dev-external-secrets-servicebindings`, aggregated into service-binding roles, bound by nothing; the controller itself has Roles in this namespace only",
			Why:    "the chart of the External Secrets Operator release whose CRDs are pinned (module v0.16.2 ships chart 0.16.1); generates dev's data-store passwords",
			Values: &cv.ExternalSecretsValues{
				InstallCRDs: false, Webhook: cv.Create{Create: false}, CertController: cv.Create{Create: false},
				ScopedNamespace: e.Namespace, ScopedRBAC: true,
			},
		},
		{
			Name: "sealed-secrets", Version: "2.19.3", Repository: "https://bitnami-labs.github.io/sealed-secrets",
			Source: ChartSource{Repository: "github.com/bitnami-labs/sealed-secrets", Path: "helm/sealed-secrets", Tag: "v0.40.0", GoModule: true},
			Wiring: []string{"fullnameOverride"},
			Why:    "the chart the pinned sealed-secrets module ships; unseals SealedSecrets",
			Values: &cv.SealedSecretsValues{
				FullnameOverride: "sealed-secrets-controller", Args: []string{"--all-namespaces=false"},
				AdditionalNamespaces: []string{e.Namespace}, RBAC: cv.SealedSecretsRBAC{ClusterRole: false, NamespacedRoles: true},
			},
		},
	}
}
