package environments

import (
	"time"

	psa "k8s.io/pod-security-admission/api"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/pkg/alerts"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

// devImages is the single source of truth for the images dev runs. Dev
// follows the main branch; floating tags are allowed here only.
var devImages = map[string]string{
	"analysis":                "main",
	"collection":              "main",
	"feedback-collection-api": "main",
	"voiceflow":               "main",
	"web":                     "main",
}

// Dev is the development environment: one replica of everything, small
// resources, and data services that the dev umbrella runs in-cluster.
func Dev() Environment {
	small := Resources("50m", "128Mi", "500m", "256Mi")
	plugins, defaults := edgePlugins(1200, 36000, "https://dev.telepace.cc", "http://localhost:3000")
	e := Environment{
		Name:                "dev",
		Namespace:           "telepace-dev",
		TelepaceEnvironment: "development",
		Domains:             apps.Domains{API: "api.dev.telepace.cc", Web: "dev.telepace.cc"},
		// The umbrella's middleware, by the names it gives it.
		Backends: apps.Backends{
			Postgres:    apps.Endpoint{Host: devPostgresHost, Port: 5432},
			Redis:       apps.Endpoint{Host: devValkeyHost, Port: 6379},
			ObjectStore: apps.Endpoint{Host: devS3Host, Port: devS3Port},
		},
		AllowFloatingTags: true,
		Images:            devImages,
		// The dev umbrella installs Kong beside the services; this chart
		// carries the Gateway, its class and the cluster-wide metrics plugin.
		Gateway: Gateway{
			Ref:            pc.GatewayRef{Name: names.Gateway},
			Create:         true,
			Plugins:        plugins,
			DefaultPlugins: defaults,
			ClusterPlugins: []pc.KongClusterPluginProps{kongPrometheus},
		},
		// Alerts stay in the cluster's Alertmanager and Grafana; every trace,
		// to the in-cluster Jaeger.
		Monitoring: monitoring("dev", names.Release("dev"),
			alerts.Policy{Severity: "warning", For: "15m", ErrorRatio: 0.2, LatencyP99Ms: 5000},
			"http://"+devJaegerCollector+":4318", 1, inCluster),
		// No credential in git, and none to fetch: data-store passwords are
		// generated in the cluster; optional provider keys come from a
		// Secret developers create (docs/secrets.md).
		Secrets: Secrets{
			Store:           developerStore(),
			RefreshInterval: time.Hour,
			Generated:       devDataStores(),
		},
		// Argo CD syncs every change on main, with prune and self-heal.
		Delivery: Delivery{Automated: true},
		// The services meet restricted; some of the umbrella's
		// third-party charts, in the same namespace, meet only baseline:
		// the namespace enforces baseline and warns and audits at
		// restricted, so every such pod is named on apply.
		PodSecurity: PodSecurity{Enforce: psa.LevelBaseline, Why: devPodSecurityWhy},
		// A week of metrics and logs on small volumes.
		Retention: Retention{
			Metrics: "7d", MetricsSize: "4GB", Alerts: "120h", Logs: "168h",
			Volumes: map[string]string{"postgres": "5Gi", "valkey": "1Gi", "object-store": "10Gi", "prometheus": "5Gi", "loki": "5Gi"},
		},
		Services: []Service{
			{App: "analysis", Replicas: 1, Resources: small},
			{App: "collection", Replicas: 1, Resources: small},
			{App: "feedback-collection-api", Replicas: 1, Resources: Resources("100m", "256Mi", "500m", "512Mi")},
			{App: "voiceflow", Replicas: 1, Resources: Resources("100m", "256Mi", "1", "512Mi")},
			{App: "web", Replicas: 1, Resources: small},
		},
	}
	// One click: the middleware, monitoring and operators beside the
	// services, configured from the fields above.
	e.Umbrella = devDependencies
	// The Gateway API (for the chart's Gateway and HTTPRoutes) and the
	// External Secrets Operator (its chart installs them from templates,
	// too late for the chart's own ExternalSecrets). Kong, the Prometheus
	// Operator and Sealed Secrets ship theirs in their charts' crds/.
	e.CRDs = []string{"gateway-api", "external-secrets"}
	return e
}

// devPodSecurityWhy is why dev's namespace enforces baseline: the pods of
// the umbrella's dependencies, at the values environments/dev_umbrella.go
// gives them, that meet baseline but not restricted, as a render of the
// real charts at their pinned versions showed. Nothing needs more than
// baseline: node-exporter (host network, PID and filesystem) is off, and
// SeaweedFS keeps its data on claims and its logs in emptyDirs.
const devPodSecurityWhy = "Alloy, Jaeger's all-in-one and SeaweedFS's master, filer, volume and S3 servers run with the charts' default security contexts " +
	"(no runAsNonRoot, no seccomp profile, capabilities kept), and their images are not known to run as a non-root user; " +
	"no pod needs host access (node-exporter is off), so baseline admits the umbrella"
