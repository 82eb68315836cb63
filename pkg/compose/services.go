package compose

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	psa "k8s.io/pod-security-admission/api"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/environments"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// environmentProblems returns the problems with the environment's own
// fields. The name is checked before composing (pkg/synth), since it is
// the construct path.
func environmentProblems(e environments.Environment) problems {
	var ps problems
	if e.Namespace == "" {
		ps.addf("namespace: is required")
	} else if msgs := validation.IsDNS1123Label(e.Namespace); len(msgs) > 0 {
		ps.addf("namespace: %q is not a valid namespace name: %s", e.Namespace, strings.Join(msgs, "; "))
	} else if strings.HasPrefix(e.Namespace, "kube-") {
		ps.addf("namespace: %q is reserved for the Kubernetes system; install Telepace into a namespace of its own", e.Namespace)
	}
	if !slices.Contains(environments.TelepaceEnvironments, e.TelepaceEnvironment) {
		ps.addf("telepaceEnvironment: %q is not one the services understand: %s", e.TelepaceEnvironment, strings.Join(environments.TelepaceEnvironments, ", "))
	}
	ps = append(ps, podSecurityProblems(e.PodSecurity)...)
	for _, d := range []struct{ field, host string }{{"domains.api", e.Domains.API}, {"domains.web", e.Domains.Web}} {
		if msg := hostProblem(d.host, false); msg != "" {
			ps.addf("%s: %s", d.field, msg)
		}
	}
	for _, b := range []struct {
		field string
		ep    apps.Endpoint
	}{{"backends.postgres", e.Backends.Postgres}, {"backends.redis", e.Backends.Redis}, {"backends.objectStore", e.Backends.ObjectStore}} {
		if msg := hostProblem(b.ep.Host, true); msg != "" {
			ps.addf("%s.host: %s", b.field, msg)
		}
		if msgs := validation.IsValidPortNum(int(b.ep.Port)); len(msgs) > 0 {
			ps.addf("%s.port: %d is not a valid port number: %s", b.field, b.ep.Port, strings.Join(msgs, "; "))
		}
	}
	return ps
}

// podSecurityProblems returns what is wrong with an environment's Pod
// Security admission.
func podSecurityProblems(p environments.PodSecurity) problems {
	var ps problems
	switch {
	case p.Enforce == "":
		ps.addf("podSecurity.enforce: is required: %s, %s or %s", psa.LevelRestricted, psa.LevelBaseline, psa.LevelPrivileged)
	case !p.Enforce.Valid():
		ps.addf("podSecurity.enforce: %q is not a Pod Security level: %s, %s or %s", p.Enforce, psa.LevelRestricted, psa.LevelBaseline, psa.LevelPrivileged)
	case p.Enforce != psa.LevelRestricted && p.Why == "":
		ps.addf("podSecurity.why: enforcing %s, below restricted, needs the reason: which pods need it, and what", p.Enforce)
	case p.Enforce == psa.LevelRestricted && p.Why != "":
		ps.addf("podSecurity.why: restricted needs no reason; leave it empty")
	}
	return ps
}

// hostProblem says why host cannot be used as a DNS name (or, where
// allowed, an IP address or an absolute name), or returns "".
func hostProblem(host string, ipAllowed bool) string {
	if host == "" {
		return "is required"
	}
	if ipAllowed && net.ParseIP(host) != nil {
		return ""
	}
	if ipAllowed {
		// A backend outside the cluster may be written absolute, with a
		// trailing dot, to tell a two-label name from a Service's
		// "name.namespace" (constructs.EgressTo).
		host = strings.TrimSuffix(host, ".")
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

// planServices plans the environment's services from the apps they
// deploy: each app's props for the environment, with the environment's
// replicas, resources, image, tracing and gateway peer.
func planServices(e environments.Environment) ([]Service, problems) {
	var ps problems
	if len(e.Services) == 0 {
		ps.addf("services: the environment deploys no services")
	}
	ctx := e.Context()
	// Services some route targets: the gateway's namespace may reach them.
	routed := map[string]bool{}
	for _, s := range e.Services {
		if app, ok := apps.Lookup(s.App); ok {
			for _, r := range declaredRoutes(s, app, ctx) {
				routed[cmp.Or(r.Service, s.ServiceName())] = true
			}
		}
	}
	tracing := e.Monitoring.Tracing.Endpoint != "" && tracingProblems(e) == nil
	claimed := map[string]int{}
	var out []Service
	for i, s := range e.Services {
		app, ok := apps.Lookup(s.App)
		if !ok {
			ps.addf("services[%d].app: unknown service %q; known services: %s", i, s.App, apps.KnownNames())
			continue
		}
		name := s.ServiceName()
		if msgs := validation.IsDNS1035Label(name); len(msgs) > 0 {
			ps.addf("services[%d].name: %q is not a valid service name: %s", i, name, strings.Join(msgs, "; "))
			continue
		}
		if j, dup := claimed[name]; dup {
			ps.addf("services[%d].name: %q is already claimed by services[%d]", i, name, j)
			continue
		}
		claimed[name] = i
		ref, ok := e.Images[name]
		if !ok {
			ps.addf("images[%s]: no image tag or digest is set for service %q", name, name)
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
		if routed[name] && gatewayNamespace(e) != e.Namespace {
			if props.AllowFrom == nil {
				props.AllowFrom = pc.DefaultAllowFrom()
			}
			props.AllowFrom = append(props.AllowFrom, gatewayPeer(e))
		}
		if tracing {
			t := e.Monitoring.Tracing
			props.Telemetry = &t
			props.Egress = append(props.Egress, collectorEgress(e))
		}
		if props.Migration != nil && e.Umbrella != nil {
			// The umbrella installs the database and the secrets operator
			// in the same sync: migrate once they are up.
			m := *props.Migration
			m.AfterSync = true
			props.Migration = &m
		}
		if s.Customize != nil {
			ps = append(ps, customize(i, s.Customize, &props)...)
		}
		props = props.WithDefaults(name)
		out = append(out, Service{
			Name:     props.Name,
			id:       name,
			Props:    props,
			Alerts:   s.Alerts,
			declared: declaredRoutes(s, app, ctx),
		})
	}
	for _, name := range slices.Sorted(maps.Keys(e.Images)) {
		if !slices.ContainsFunc(e.Services, func(s environments.Service) bool { return s.ServiceName() == name }) {
			ps.addf("images[%s]: no service named %q is deployed", name, name)
		}
	}
	ps = append(ps, egressPortProblems(e, out)...)
	return out, ps
}

// declaredRoutes returns the service's routes in the environment: its
// own, or the app's.
func declaredRoutes(s environments.Service, app apps.App, ctx apps.Context) []pc.Route {
	if s.Routes != nil {
		return s.Routes
	}
	if app.Routes == nil {
		return nil
	}
	return app.Routes(ctx)
}

// egressPortProblems checks each service's egress into its own namespace
// against the ports declared there: a rule to another Telepace service
// must use one of that service's ports, and any other in-namespace rule one
// of the environment's backend or collector ports or a service's port. A
// rule to a port nothing declares admits traffic nobody answers; it is
// almost always a typo.
func egressPortProblems(e environments.Environment, services []Service) problems {
	var ps problems
	byName := map[string]Service{}
	declared := map[int32][]string{}
	for _, s := range services {
		byName[s.Name] = s
		for _, p := range s.Props.Ports {
			declared[p.Port] = append(declared[p.Port], s.Name)
		}
	}
	for _, b := range []struct {
		name string
		port int32
	}{{"postgres", e.Backends.Postgres.Port}, {"redis", e.Backends.Redis.Port}, {"object store", e.Backends.ObjectStore.Port}} {
		declared[b.port] = append(declared[b.port], b.name)
	}
	if e.Monitoring.Tracing.Endpoint != "" && tracingProblems(e) == nil {
		p := collectorEgress(e).Ports[0].Port
		declared[p] = append(declared[p], "trace collector")
	}
	for _, s := range services {
		for i, rule := range s.Props.Egress {
			if rule.Internet || rule.CIDR != "" || (rule.Namespace != "" && rule.Namespace != e.Namespace) {
				continue
			}
			target, isService := byName[rule.PodLabels[pc.LabelName]]
			for j, port := range rule.Ports {
				field := fmt.Sprintf("egress[%d].ports[%d].port", i, j)
				if isService {
					if !slices.ContainsFunc(target.Props.Ports, func(p pc.Port) bool { return p.Port == port.Port }) {
						ps.at(s.id, "%s: %d is not a port of service %q (%s)", field, port.Port, target.Name, portList(target))
					}
					continue
				}
				if _, ok := declared[port.Port]; !ok && port.Port != 0 {
					ps.at(s.id, "%s: %d is not declared by any service, backend or collector of the namespace (%s)", field, port.Port, declaredList(declared))
				}
			}
		}
	}
	return ps
}

func portList(s Service) string {
	var out []string
	for _, p := range s.Props.Ports {
		out = append(out, fmt.Sprintf("%s %d", p.Name, p.Port))
	}
	return "it has " + strings.Join(out, ", ")
}

func declaredList(declared map[int32][]string) string {
	var s []string
	for _, p := range slices.Sorted(maps.Keys(declared)) {
		s = append(s, fmt.Sprintf("%d: %s", p, strings.Join(declared[p], ", ")))
	}
	return strings.Join(s, "; ")
}

// customize applies a service's Customize to props. The fields the
// environment owns (the service's name, image, environment and tag rule)
// are kept: a Customize that changes one is reported, since it would
// get around the image map, the environment's tag rule or the names
// checked above.
func customize(i int, edit func(*pc.MicroserviceProps), props *pc.MicroserviceProps) problems {
	var ps problems
	before := *props
	edit(props)
	for _, f := range []struct {
		field, instead string
		changed        bool
	}{
		{"name", fmt.Sprintf("set services[%d].name", i), props.Name != before.Name},
		{"image", "set the environment's image map", props.Image != before.Image},
		{"environment", "it is the environment's name", props.Environment != before.Environment},
		{"allowFloatingTags", "it is the environment's tag rule", props.AllowFloatingTags != before.AllowFloatingTags},
	} {
		if f.changed {
			ps.addf("services[%d].customize: changes %s, which the environment sets; %s", i, f.field, f.instead)
		}
	}
	props.Name, props.Image, props.Environment, props.AllowFloatingTags = before.Name, before.Image, before.Environment, before.AllowFloatingTags
	return ps
}
