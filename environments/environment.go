package environments

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"k8s.io/apimachinery/pkg/util/validation"

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
	// gets wrong in this environment.
	Customize func(*pc.MicroserviceProps)
	// Routes, when not nil, replace the routes the app declares, in this
	// environment only. Defaults to the app's.
	Routes []pc.Route
	// Alerts are added to the service's generated alerts in this
	// environment. Defaults to none.
	Alerts []pc.Alert
}

func (s Service) name() string { return cmp.Or(s.Name, s.App) }

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

// Composition is what Compose added to the construct tree.
type Composition struct {
	// Services are the microservices, in the order the environment lists
	// them.
	Services []*pc.Microservice
	// Gateway is the Gateway the chart carries, or nil where the gateway
	// layer is run separately.
	Gateway *pc.Gateway
	// Routes are the HTTPRoutes, in service order.
	Routes []*pc.HTTPRoute
	// Plugins, ClusterPlugins and Consumers are the Kong objects.
	Plugins        []*pc.KongPlugin
	ClusterPlugins []*pc.KongClusterPlugin
	Consumers      []*pc.KongConsumer
	// ServiceMonitors, Rules and Dashboards are per service; Alertmanager
	// is the environment's routing of alerts.
	ServiceMonitors []*pc.ServiceMonitor
	Rules           []*pc.PrometheusRule
	Dashboards      []*pc.GrafanaDashboard
	Alertmanager    *pc.AlertmanagerConfig
	// Secrets are the Secrets the environment reads and their producers,
	// sorted by name: the ExternalSecrets (of SecretStore or of
	// PasswordGenerator) and the SealedSecrets.
	Secrets           []SecretSource
	SecretStore       *pc.SecretStore
	PasswordGenerator *pc.PasswordGenerator
	ExternalSecrets   []*pc.ExternalSecret
	SealedSecrets     []*pc.SealedSecret
}

// Compose adds the environment's services to scope, usually the
// environment's chart, and returns them. Problems with the
// environment itself (no services, unknown apps, names claimed twice,
// missing or stray images) are registered as validations on scope, and
// cdk8s reports them with every other problem when the app is synthesised.
func (e Environment) Compose(scope constructs.Construct) *Composition {
	var problems []string
	addf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	problems = append(problems, e.validate()...)
	problems = append(problems, e.deliveryProblems()...)
	problems = append(problems, e.dependencyProblems()...)
	if len(e.Services) == 0 {
		addf("services: the environment deploys no services")
	}
	ctx := e.Context()
	// Services some route targets: the gateway's namespace may reach them.
	routed := map[string]bool{}
	for _, s := range e.Services {
		if app, ok := apps.Lookup(s.App); ok {
			for _, r := range s.routes(app, ctx) {
				routed[cmp.Or(r.Service, s.name())] = true
			}
		}
	}
	claimed := map[string]int{}
	declared := map[string][]pc.Route{}
	extraAlerts := map[*pc.Microservice][]pc.Alert{}
	var out []*pc.Microservice
	for i, s := range e.Services {
		app, ok := apps.Lookup(s.App)
		if !ok {
			addf("services[%d].app: unknown service %q; known services: %s", i, s.App, apps.KnownNames())
			continue
		}
		name := s.name()
		if msgs := validation.IsDNS1035Label(name); len(msgs) > 0 {
			addf("services[%d].name: %q is not a valid service name: %s", i, name, strings.Join(msgs, "; "))
			continue
		}
		if j, dup := claimed[name]; dup {
			addf("services[%d].name: %q is already claimed by services[%d]", i, name, j)
			continue
		}
		claimed[name] = i
		ref, ok := e.Images[name]
		if !ok {
			addf("images[%s]: no image tag or digest is set for service %q", name, name)
		}
		props := app.Props(ctx)
		props.Environment = e.Name
		props.AllowFloatingTags = e.AllowFloatingTags
		props.Name = name
		props.Image = pc.ImageRef(app.Repository, ref)
		props.Replicas = &s.Replicas
		if s.MaxReplicas != 0 {
			props.MaxReplicas = &s.MaxReplicas
		}
		props.Resources = s.Resources
		if routed[name] && e.gatewayNamespace() != e.Namespace {
			if props.AllowFrom == nil {
				props.AllowFrom = pc.DefaultAllowFrom()
			}
			props.AllowFrom = append(props.AllowFrom, e.gatewayPeer())
		}
		if e.Monitoring.Tracing.Endpoint != "" && e.tracingProblems() == nil {
			tracing := e.Monitoring.Tracing
			props.Telemetry = &tracing
			props.Egress = append(props.Egress, e.collectorEgress())
		}
		if props.Migration != nil && e.Umbrella != nil {
			// The umbrella installs the database and the secrets operator
			// in the same sync: migrate once they are up.
			m := *props.Migration
			m.AfterSync = true
			props.Migration = &m
		}
		if s.Customize != nil {
			s.Customize(&props)
		}
		declared[name] = s.routes(app, ctx)
		ms := pc.NewMicroservice(scope, name, props)
		extraAlerts[ms] = s.Alerts
		out = append(out, ms)
	}
	for _, name := range slices.Sorted(maps.Keys(e.Images)) {
		if !slices.ContainsFunc(e.Services, func(s Service) bool { return s.name() == name }) {
			addf("images[%s]: no service named %q is deployed", name, name)
		}
	}
	c := &Composition{Services: out}
	e.egressPortProblems(out)
	problems = append(problems, e.composeGateway(scope, out, declared, c)...)
	problems = append(problems, e.composeMonitoring(scope, c, extraAlerts)...)
	problems = append(problems, e.composeSecrets(scope, c)...)
	pc.AddProblems(scope, problems...)
	return c
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

// validate returns the problems with the environment's own fields. The name
// is checked before composing (pkg/synth), since it is the construct path.
func (e Environment) validate() []string {
	var problems []string
	addf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if e.Namespace == "" {
		addf("namespace: is required")
	} else if msgs := validation.IsDNS1123Label(e.Namespace); len(msgs) > 0 {
		addf("namespace: %q is not a valid namespace name: %s", e.Namespace, strings.Join(msgs, "; "))
	} else if strings.HasPrefix(e.Namespace, "kube-") {
		addf("namespace: %q is reserved for the Kubernetes system; install Telepace into a namespace of its own", e.Namespace)
	}
	if !slices.Contains(TelepaceEnvironments, e.TelepaceEnvironment) {
		addf("telepaceEnvironment: %q is not one the services understand: %s", e.TelepaceEnvironment, strings.Join(TelepaceEnvironments, ", "))
	}
	problems = append(problems, e.PodSecurity.problems()...)
	for _, d := range []struct{ field, host string }{{"domains.api", e.Domains.API}, {"domains.web", e.Domains.Web}} {
		if msg := hostProblem(d.host, false); msg != "" {
			addf("%s: %s", d.field, msg)
		}
	}
	for _, b := range []struct {
		field string
		ep    apps.Endpoint
	}{{"backends.postgres", e.Backends.Postgres}, {"backends.redis", e.Backends.Redis}, {"backends.objectStore", e.Backends.ObjectStore}} {
		if msg := hostProblem(b.ep.Host, true); msg != "" {
			addf("%s.host: %s", b.field, msg)
		}
		if msgs := validation.IsValidPortNum(int(b.ep.Port)); len(msgs) > 0 {
			addf("%s.port: %d is not a valid port number: %s", b.field, b.ep.Port, strings.Join(msgs, "; "))
		}
	}
	return problems
}

// hostProblem says why host cannot be used as a DNS name (or, where
// allowed, an IP address), or returns "".
func hostProblem(host string, ipAllowed bool) string {
	if host == "" {
		return "is required"
	}
	if ipAllowed && net.ParseIP(host) != nil {
		return ""
	}
	if msgs := validation.IsDNS1123Subdomain(host); len(msgs) > 0 {
		return fmt.Sprintf("%q is not a valid host name: %s", host, strings.Join(msgs, "; "))
	}
	for _, label := range strings.Split(host, ".") {
		if len(label) > validation.DNS1123LabelMaxLength {
			return fmt.Sprintf("%q has a label longer than %d characters, which DNS cannot resolve", host, validation.DNS1123LabelMaxLength)
		}
	}
	return ""
}
