package names

import pc "github.com/telepace/platform-charts/pkg/constructs"

// PartOf is the app.kubernetes.io/part-of of everything the platform
// deploys, and the prefix of its release names.
const PartOf = pc.DefaultPartOf

// Release returns an environment's Helm release and chart name, and the
// name of its Argo CD Application: "telepace-<env>".
func Release(env string) string { return PartOf + "-" + env }

// Gateway is the name of the Kong Gateway the HTTPRoutes attach to, in
// every environment: dev's chart creates it, staging and prod attach to
// the gateway layer's.
const Gateway = "kong"

// AlertRouting is the name of an environment's AlertmanagerConfig.
const AlertRouting = "telepace-alerts"

// DashboardUID returns the Grafana UID of a service's dashboard.
func DashboardUID(env, service string) string { return Release(env) + "-" + service }

// OverviewDashboardUID returns the Grafana UID of an environment's
// overview dashboard.
func OverviewDashboardUID(env string) string { return Release(env) + "-overview" }

// Secrets holding the data stores' credentials. The services read them,
// and so do the dev umbrella's data stores; each environment says where
// they come from.
const (
	PostgresSecret    = "telepace-postgres"
	RedisSecret       = "telepace-redis"
	ObjectStoreSecret = "telepace-object-store"
)

// GrafanaAdminSecret holds the dev umbrella's Grafana admin user and
// password.
const GrafanaAdminSecret = "telepace-grafana"

// Secrets holding the Alertmanager receivers' credentials.
var (
	PagerSecret = pc.SecretKey{Name: "alertmanager-pagerduty", Key: "routing-key"}
	ChatSecret  = pc.SecretKey{Name: "alertmanager-slack", Key: "webhook-url"}
)

// RemoteName returns the name of the store value a Secret key is read
// from, and the property of it, by convention:
//
//   - Google Secret Manager: one secret per key, "<env>-<secret>-<key>"
//     (prod-telepace-postgres-postgres-password);
//   - Kubernetes: one Secret per Secret, "<env>-<secret>", holding the key.
//
// A Secret whose every reference is optional is extracted whole from
// "<env>-<secret>" instead (key ""), a JSON object in Secret Manager: it
// holds the keys someone put there, and is absent until someone does.
func RemoteName(store *pc.SecretStoreProps, env, secret, key string) (name, property string) {
	base := env + "-" + secret
	switch {
	case key == "":
		return base, ""
	case store != nil && store.Kubernetes != nil:
		return base, key
	default:
		return base + "-" + key, ""
	}
}
