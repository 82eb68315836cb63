package compose

import (
	"fmt"

	"github.com/telepace/platform-charts/environments"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// Problem is one thing wrong with an environment, found by a layer.
type Problem struct {
	// Path is the construct path, below the environment's chart, of what
	// the problem is about: "" for the environment itself, "analysis" for
	// a service, "gateway/plugins/cors" for a plugin.
	Path string
	// Message is "field: what is wrong", the field named from where Path
	// points.
	Message string
}

// String returns the problem as cdk8s reports it for chart: "[dev/analysis]
// routes[0].host: ...".
func (p Problem) String(chart string) string {
	path := chart
	if p.Path != "" {
		path += "/" + p.Path
	}
	return fmt.Sprintf("[%s] %s", path, p.Message)
}

// problems collects a layer's problems, each at a path.
type problems []Problem

// addf adds a problem about the environment itself.
func (ps *problems) addf(format string, args ...any) { ps.at("", format, args...) }

// at adds a problem about what path names.
func (ps *problems) at(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Plan is everything an environment's chart holds, as plain Go values
// computed without jsii or node: the props of every construct, and what
// the chart README says of them. Build turns a plan into constructs.
type Plan struct {
	// Env is the environment planned.
	Env environments.Environment
	// Services are the microservices, in the order the environment lists
	// them.
	Services []Service
	// Gateway is how the services are exposed.
	Gateway Gateway
	// Monitoring is how they are watched.
	Monitoring Monitoring
	// Dependencies are the umbrella's charts, as the environment
	// configures them; none outside the dev umbrella.
	Dependencies []environments.Dependency
	// Secrets are the producers of every Secret the chart reads.
	Secrets Secrets
	// Problems are every problem the layers found, in the order found.
	// Build attaches each to the construct at its path, and cdk8s reports
	// them in the tree's order.
	Problems []Problem
}

// Compose plans env: the services, gateway, monitoring and secrets
// layers, each from the environment and the layers before it, with the
// checks of the environment itself, its delivery and its umbrella.
func Compose(env environments.Environment) Plan {
	p := Plan{Env: env, Dependencies: env.Dependencies()}
	var all problems
	all = append(all, environmentProblems(env)...)
	all = append(all, deliveryProblems(env)...)
	all = append(all, umbrellaProblems(env, p.Dependencies)...)
	var ps problems
	p.Services, ps = planServices(env)
	all = append(all, ps...)
	p.Gateway, ps = planGateway(env, p.Services)
	all = append(all, ps...)
	p.Monitoring, ps = planMonitoring(env, p.Services, p.Gateway.Routes)
	all = append(all, ps...)
	p.Secrets, ps = planSecrets(env, p.Services, p.Gateway.Consumers, p.Monitoring.Alertmanager, p.Dependencies)
	all = append(all, ps...)
	p.Problems = all
	return p
}

// Service is one microservice of the plan.
type Service struct {
	// Name is the service's name.
	Name string
	// id is its construct id, the environment's name for it; only a
	// Customize that renames the service makes the two differ.
	id string
	// Props are the Microservice's props, with its defaults applied.
	Props pc.MicroserviceProps
	// Alerts are the environment's own alerts for the service.
	Alerts []pc.Alert
	// declared are the routes the service declares, grouped into
	// HTTPRoutes by the gateway layer.
	declared []pc.Route
}

// ID returns the service's construct id, below the chart.
func (s Service) ID() string { return s.id }

// Autoscaled says whether an autoscaler owns the service's replicas.
func (s Service) Autoscaled() bool { return *s.Props.MaxReplicas > *s.Props.Replicas }
