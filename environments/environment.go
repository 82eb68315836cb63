package environments

import (
	"cmp"

	"github.com/telepace/platform-charts/apps"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// Environment is one deployment target. Each environment file declares one,
// holding only what differs there; everything else comes from apps/.
type Environment struct {
	// Name is the short name ("dev"), the chart directory under
	// charts/generated/ and the root of every construct path.
	Name string
	// Namespace is the namespace the chart is installed into
	// (helm install -n, and the Argo CD destination). It is not written into
	// the objects, so Helm's release namespace applies.
	Namespace string
	// TelepaceEnvironment is what the services read from TELEPACE_ENVIRONMENT
	// and NEXT_PUBLIC_ENV: "development", "staging" or "production".
	TelepaceEnvironment string
	// Domains are the public host names.
	Domains apps.Domains
	// Backends are the data services' addresses.
	Backends apps.Backends
	// AllowFloatingTags accepts image tags that move (main, latest); without
	// it every image needs a release tag or a digest.
	AllowFloatingTags bool
	// Images maps each service name to its image tag or digest. It is the
	// single source of truth for what runs in the environment.
	Images map[string]string
	// Services are the services deployed, in order.
	Services []Service
	// Gateway exposes the services' routes through Kong.
	Gateway Gateway
	// Monitoring is how the environment is watched and alerted on.
	Monitoring Monitoring
	// Secrets says where the Secrets the environment reads come from.
	Secrets Secrets
	// Delivery is how Argo CD deploys the environment's chart.
	Delivery Delivery
	// PodSecurity is the Pod Security admission of the environment's
	// namespace. Required.
	PodSecurity PodSecurity
	// Umbrella returns the charts the environment's chart installs beside
	// the services (the dev umbrella's middleware, monitoring and
	// operators), configured from the environment it is given, so that an
	// edited Retention or Monitoring reaches them. Defaults to none: the
	// layers are run separately.
	Umbrella func(Environment) []Dependency
	// Retention is how long monitoring data is kept and how large the data
	// volumes are. Required with Dependencies.
	Retention Retention
	// CRDs name pinned CRD sources (internal/crds/crd-versions.txt)
	// whose CustomResourceDefinitions the chart ships in crds/, which Helm
	// installs before any template: what the umbrella's own objects need
	// and no dependency ships in its own crds/. Defaults to none.
	CRDs []string
}

// Service deploys one app of the catalog in an environment.
type Service struct {
	// App names the app in apps/. Required.
	App string
	// Name overrides the service's name. Defaults to App.
	Name string
	// Replicas is the pod count, and the autoscaler's minimum. Required.
	Replicas int32
	// MaxReplicas is the autoscaler's maximum. Defaults to Replicas (no
	// autoscaling).
	MaxReplicas int32
	// Resources are the container's requests and limits. Required.
	Resources pc.Resources
	// Customize, when set, adjusts the props last, for what an app default
	// gets wrong in this environment. It may not change what the
	// environment sets: the service's name (Name), image (the image map),
	// environment and tag rule; a change to one is reported.
	Customize func(*pc.MicroserviceProps)
	// Routes, when not nil, replace the routes the app declares, in this
	// environment only. Defaults to the app's.
	Routes []pc.Route
	// Alerts are added to the service's generated alerts in this
	// environment. Defaults to none.
	Alerts []pc.Alert
}

// ServiceName returns the service's name: Name, or App.
func (s Service) ServiceName() string { return cmp.Or(s.Name, s.App) }

// Resources returns the given cpu and memory requests and limits, such as
// Resources("100m", "128Mi", "500m", "256Mi"). The quantities are parsed
// and checked when the environment is synthesised, and a mistake is
// reported with the service's construct path and the field.
func Resources(cpuRequest, memoryRequest, cpuLimit, memoryLimit string) pc.Resources {
	return pc.Resources{
		CPU:    pc.ResourceRange{Request: cpuRequest, Limit: cpuLimit},
		Memory: pc.ResourceRange{Request: memoryRequest, Limit: memoryLimit},
	}
}

// Context returns what the environment tells its apps.
func (e Environment) Context() apps.Context {
	return apps.Context{
		Environment:         e.Name,
		TelepaceEnvironment: e.TelepaceEnvironment,
		Domains:             e.Domains,
		Backends:            e.Backends,
	}
}

// All returns every environment, in promotion order.
func All() []Environment { return []Environment{Dev(), Staging(), Prod()} }

// Lookup returns the environment called name.
func Lookup(name string) (Environment, bool) {
	for _, e := range All() {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// TelepaceEnvironments are the values the services understand in
// TELEPACE_ENVIRONMENT and NEXT_PUBLIC_ENV.
var TelepaceEnvironments = []string{"development", "staging", "production"}
