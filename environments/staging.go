package environments

import (
	"time"

	psa "k8s.io/pod-security-admission/api"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/pkg/alerts"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

// stagingImages is the single source of truth for the images staging runs:
// release tags or digests only.
var stagingImages = map[string]string{
	"analysis":                "v0.1.0",
	"collection":              "v0.1.0",
	"feedback-collection-api": "v0.1.0",
	"voiceflow":               "v0.13.0",
	"web":                     "v0.1.0",
}

// Staging mirrors prod at a smaller size: two replicas, autoscaling to four,
// and managed data services of its own.
func Staging() Environment {
	server := Resources("100m", "256Mi", "1", "512Mi")
	plugins, defaults := edgePlugins(600, 18000, "https://staging.telepace.cc")
	return Environment{
		Name:                "staging",
		Namespace:           "telepace-staging",
		TelepaceEnvironment: "staging",
		Domains:             apps.Domains{API: "api.staging.telepace.cc", Web: "staging.telepace.cc"},
		Backends: apps.Backends{
			Postgres:    apps.Endpoint{Host: "postgres.staging.telepace.internal", Port: 5432},
			Redis:       apps.Endpoint{Host: "redis.staging.telepace.internal", Port: 6379},
			ObjectStore: apps.Endpoint{Host: "minio.staging.telepace.internal", Port: 9000},
		},
		Images: stagingImages,
		// The gateway layer is operated separately: the routes attach to
		// its Gateway, which must admit routes from this namespace.
		Gateway: Gateway{
			Ref:            pc.GatewayRef{Name: names.Gateway, Namespace: "kong"},
			Plugins:        plugins,
			DefaultPlugins: defaults,
		},
		Monitoring: monitoring("staging", "kube-prometheus-stack",
			alerts.Policy{Severity: "warning", For: "10m", ErrorRatio: 0.1, LatencyP99Ms: 3000},
			"http://otel-collector.monitoring.svc:4318", 0.25, chat),
		// Everything from Secret Manager in the staging project.
		Secrets: Secrets{
			Store:           googleStore("telepace-staging"),
			RefreshInterval: time.Hour,
		},
		// Argo CD syncs every change on main, with prune and self-heal.
		// On the staging cluster, registered in Argo CD under this name.
		Delivery: Delivery{Cluster: "telepace-staging", Automated: true},
		// Every pod meets the restricted Pod Security Standard; the
		// namespace enforces it.
		PodSecurity: PodSecurity{Enforce: psa.LevelRestricted},
		// What the separately run layers are expected to keep.
		Retention: Retention{
			Metrics: "15d", MetricsSize: "20GB", Alerts: "120h", Logs: "336h",
			Volumes: map[string]string{"postgres": "10Gi", "valkey": "5Gi", "object-store": "50Gi", "prometheus": "25Gi", "loki": "25Gi"},
		},
		Services: []Service{
			{App: "analysis", Replicas: 2, MaxReplicas: 4, Resources: server},
			{App: "collection", Replicas: 2, MaxReplicas: 4, Resources: server},
			{App: "feedback-collection-api", Replicas: 2, MaxReplicas: 4, Resources: Resources("200m", "384Mi", "1", "768Mi")},
			{App: "voiceflow", Replicas: 2, MaxReplicas: 4, Resources: Resources("250m", "512Mi", "2", "1Gi")},
			{App: "web", Replicas: 2, MaxReplicas: 4, Resources: server},
		},
	}
}
