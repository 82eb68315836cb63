package environments

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

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
	// Images maps each service name to its image tag or digest. It is the
	// single source of truth for what runs in the environment.
	Images map[string]string
	// Services are the services deployed, in order.
	Services []Service
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
	Resources corev1.ResourceRequirements
	// Customize, when set, adjusts the props last, for what an app default
	// gets wrong in this environment.
	Customize func(*pc.MicroserviceProps)
}

func (s Service) name() string { return cmp.Or(s.Name, s.App) }

// Resources returns requirements with the given cpu and memory requests and
// limits, such as Resources("100m", "128Mi", "500m", "256Mi").
func Resources(cpuRequest, memoryRequest, cpuLimit, memoryLimit string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse(cpuRequest),
			corev1.ResourceMemory: resource.MustParse(memoryRequest),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse(cpuLimit),
			corev1.ResourceMemory: resource.MustParse(memoryLimit),
		},
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

// Compose adds the environment's services to scope, usually the
// environment's chart, and returns them in order. Problems with the
// environment itself (no services, unknown apps, names claimed twice,
// missing or stray images) are registered as validations on scope, and
// cdk8s reports them with every other problem when the app is synthesised.
func (e Environment) Compose(scope constructs.Construct) []*pc.Microservice {
	var problems []string
	addf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(e.Services) == 0 {
		addf("services: the environment deploys no services")
	}
	ctx := e.Context()
	claimed := map[string]int{}
	var out []*pc.Microservice
	for i, s := range e.Services {
		app, ok := apps.Lookup(s.App)
		if !ok {
			addf("services[%d].app: unknown service %q; known services: %s", i, s.App, apps.KnownNames())
			continue
		}
		name := s.name()
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
		props.Name = name
		props.Image = pc.ImageRef(app.Repository, ref)
		props.Replicas = &s.Replicas
		if s.MaxReplicas != 0 {
			props.MaxReplicas = &s.MaxReplicas
		}
		props.Resources = s.Resources
		if s.Customize != nil {
			s.Customize(&props)
		}
		out = append(out, pc.NewMicroservice(scope, name, props))
	}
	for _, name := range slices.Sorted(maps.Keys(e.Images)) {
		if !slices.ContainsFunc(e.Services, func(s Service) bool { return s.name() == name }) {
			addf("images[%s]: no service named %q is deployed", name, name)
		}
	}
	pc.AddProblems(scope, problems...)
	return out
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
