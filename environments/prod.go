package environments

import (
	"time"

	psa "k8s.io/pod-security-admission/api"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/pkg/alerts"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

// prodImages is the single source of truth for the images prod runs:
// release tags or digests only.
var prodImages = map[string]string{
	"analysis":                "v0.1.0",
	"collection":              "v0.1.0",
	"feedback-collection-api": "v0.1.0",
	"voiceflow":               "v0.13.0",
	"web":                     "v0.1.0",
}

// Prod is production: three replicas spread over zones, autoscaling, and
// external managed data services. The data, gateway and monitoring layers
// are operated separately; this chart holds the application services only.
func Prod() Environment {
	server := Resources("250m", "512Mi", "2", "1Gi")
	plugins, defaults := edgePlugins(300, 9000, "https://telepace.cc")
	return Environment{
		Name:                "prod",
		Namespace:           "telepace",
		TelepaceEnvironment: "production",
		Domains:             apps.Domains{API: "api.telepace.cc", Web: "telepace.cc"},
		Backends: apps.Backends{
			Postgres:    apps.Endpoint{Host: "postgres.prod.telepace.internal", Port: 5432},
			Redis:       apps.Endpoint{Host: "redis.prod.telepace.internal", Port: 6379},
			ObjectStore: apps.Endpoint{Host: "minio.prod.telepace.internal", Port: 9000},
		},
		Images: prodImages,
		// The gateway layer is operated separately: the routes attach to
		// its Gateway, which must admit routes from this namespace.
		Gateway: Gateway{
			Ref:            pc.GatewayRef{Name: names.Gateway, Namespace: "kong"},
			Plugins:        plugins,
			DefaultPlugins: defaults,
		},
		// Pages for what needs someone now; 5% of new traces.
		Monitoring: monitoring("prod", "kube-prometheus-stack",
			alerts.Policy{Severity: "critical", For: "5m", ErrorRatio: 0.05, LatencyP99Ms: 2000},
			"http://otel-collector.monitoring.svc:4318", 0.05, page),
		// Everything from Secret Manager in the prod project.
		Secrets: Secrets{
			Store:           googleStore("telepace-prod"),
			RefreshInterval: 15 * time.Minute,
		},
		// Synced by hand in Argo CD, after the diff is reviewed.
		Delivery: Delivery{Cluster: "telepace-prod", Automated: false},
		// Every pod meets the restricted Pod Security Standard; the
		// namespace enforces it.
		PodSecurity: PodSecurity{Enforce: psa.LevelRestricted},
		// What the separately run layers are expected to keep.
		Retention: Retention{
			Metrics: "30d", MetricsSize: "45GB", Alerts: "120h", Logs: "720h",
			Volumes: map[string]string{"postgres": "20Gi", "valkey": "10Gi", "object-store": "100Gi", "prometheus": "50Gi", "loki": "50Gi"},
		},
		Services: []Service{
			{App: "analysis", Replicas: 3, MaxReplicas: 10, Resources: server},
			{App: "collection", Replicas: 3, MaxReplicas: 10, Resources: server},
			{App: "feedback-collection-api", Replicas: 3, MaxReplicas: 10, Resources: Resources("500m", "768Mi", "2", "1536Mi")},
			{App: "voiceflow", Replicas: 3, MaxReplicas: 12, Resources: Resources("500m", "1Gi", "4", "2Gi")},
			{App: "web", Replicas: 3, MaxReplicas: 10, Resources: Resources("250m", "256Mi", "1", "512Mi")},
		},
	}
}
