package environments

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// egressPortProblems checks each service's egress into its own namespace
// against the ports declared there: a rule to another Telepace service
// must use one of that service's ports, and any other in-namespace rule one
// of the environment's backend or collector ports or a service's port. A
// rule to a port nothing declares admits traffic nobody answers; it is
// almost always a typo.
func (e Environment) egressPortProblems(services []*pc.Microservice) {
	byName := map[string]*pc.Microservice{}
	declared := map[int32][]string{}
	for _, ms := range services {
		byName[ms.Name()] = ms
		for _, p := range ms.Ports() {
			declared[p.Port] = append(declared[p.Port], ms.Name())
		}
	}
	for _, b := range []struct {
		name string
		port int32
	}{{"postgres", e.Backends.Postgres.Port}, {"redis", e.Backends.Redis.Port}, {"object store", e.Backends.ObjectStore.Port}} {
		declared[b.port] = append(declared[b.port], b.name)
	}
	if e.Monitoring.Tracing.Endpoint != "" && e.tracingProblems() == nil {
		p := e.collectorEgress().Ports[0].Port
		declared[p] = append(declared[p], "trace collector")
	}
	for _, ms := range services {
		for i, rule := range ms.Egress() {
			if rule.Internet || rule.CIDR != "" || (rule.Namespace != "" && rule.Namespace != e.Namespace) {
				continue
			}
			target := byName[rule.PodLabels[pc.LabelName]]
			for j, port := range rule.Ports {
				field := fmt.Sprintf("egress[%d].ports[%d].port", i, j)
				if target != nil {
					if !slices.ContainsFunc(target.Ports(), func(p pc.Port) bool { return p.Port == port.Port }) {
						pc.AddProblems(ms.Construct, fmt.Sprintf("%s: %d is not a port of service %q (%s)", field, port.Port, target.Name(), portList(target)))
					}
					continue
				}
				if _, ok := declared[port.Port]; !ok && port.Port != 0 {
					pc.AddProblems(ms.Construct, fmt.Sprintf("%s: %d is not declared by any service, backend or collector of the namespace (%s)", field, port.Port, declaredList(declared)))
				}
			}
		}
	}
}

func portList(ms *pc.Microservice) string {
	var s []string
	for _, p := range ms.Ports() {
		s = append(s, fmt.Sprintf("%s %d", p.Name, p.Port))
	}
	return "it has " + strings.Join(s, ", ")
}

func declaredList(declared map[int32][]string) string {
	var s []string
	for _, p := range slices.Sorted(maps.Keys(declared)) {
		s = append(s, fmt.Sprintf("%d: %s", p, strings.Join(declared[p], ", ")))
	}
	return strings.Join(s, "; ")
}
