package diff

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// ServiceRow is one line of the cross-environment matrix: one field of one
// service, with a cell per environment.
type ServiceRow struct {
	Service, Field string
	// Cells hold, per environment of Report.Envs, the head's value, or
	// "old → new" where it changed; "–" where the service is absent.
	Cells []string
	// Changed reports whether any cell changed.
	Changed bool
}

// matrixFields are the matrix's rows for each service, in order.
var matrixFields = []string{"image", "replicas", "autoscaling", "cpu request/limit", "memory request/limit", "routes"}

// absent marks a service an environment does not run.
const absent = "–"

// matrix builds the service matrix from the Deployments of each side.
func matrix(base, head []Chart) ([]string, []ServiceRow) {
	var envs []string
	for _, cs := range [][]Chart{head, base} {
		for _, c := range cs {
			if !slices.Contains(envs, c.Env) && len(services(c)) > 0 {
				envs = append(envs, c.Env)
			}
		}
	}
	facts := func(cs []Chart) map[string]map[string]map[string]string { // env -> service -> field -> value
		out := map[string]map[string]map[string]string{}
		for _, c := range cs {
			out[c.Env] = services(c)
		}
		return out
	}
	b, h := facts(base), facts(head)
	names := map[string]bool{}
	for _, env := range envs {
		for s := range b[env] {
			names[s] = true
		}
		for s := range h[env] {
			names[s] = true
		}
	}
	var rows []ServiceRow
	for _, svc := range slices.Sorted(maps.Keys(names)) {
		for _, field := range matrixFields {
			row := ServiceRow{Service: svc, Field: field}
			for _, env := range envs {
				old, inBase := b[env][svc]
				cur, inHead := h[env][svc]
				oldV, newV := absent, absent
				if inBase {
					oldV = old[field]
				}
				if inHead {
					newV = cur[field]
				}
				cell := newV
				if oldV != newV {
					cell = oldV + " → " + newV
					row.Changed = true
				}
				row.Cells = append(row.Cells, cell)
			}
			rows = append(rows, row)
		}
	}
	return envs, rows
}

// services reads, per Deployment of the chart, the matrix's fields.
func services(c Chart) map[string]map[string]string {
	out := map[string]map[string]string{}
	hpas := map[string]string{}
	routes := map[string][]string{}
	for _, o := range c.Objects {
		switch {
		case o.Kind == "HorizontalPodAutoscaler":
			target, _ := lookup(o.Body, "spec", "scaleTargetRef", "name").(string)
			hpas[target] = fmt.Sprintf("%v–%v", num(lookup(o.Body, "spec", "minReplicas"), "1"), num(lookup(o.Body, "spec", "maxReplicas"), "?"))
		case o.Kind == "HTTPRoute":
			hosts, _ := lookup(o.Body, "spec", "hostnames").([]any)
			rules, _ := lookup(o.Body, "spec", "rules").([]any)
			for _, r := range rules {
				var backends []string
				refs, _ := lookup(r, "backendRefs").([]any)
				for _, ref := range refs {
					if n, ok := lookup(ref, "name").(string); ok {
						backends = append(backends, n)
					}
				}
				matches, _ := lookup(r, "matches").([]any)
				var paths []string
				for _, m := range matches {
					if p, ok := lookup(m, "path", "value").(string); ok {
						paths = append(paths, p)
					}
				}
				if len(paths) == 0 {
					paths = []string{"/"}
				}
				for _, be := range backends {
					for _, host := range hostsOr(hosts) {
						for _, p := range paths {
							routes[be] = append(routes[be], host+p)
						}
					}
				}
			}
		}
	}
	for _, o := range c.Objects {
		if o.Kind != "Deployment" {
			continue
		}
		containers, _ := lookup(o.Body, "spec", "template", "spec", "containers").([]any)
		if len(containers) == 0 {
			continue
		}
		main := containers[0]
		for _, ct := range containers {
			if lookup(ct, "name") == o.Name {
				main = ct
			}
		}
		f := map[string]string{
			"image":                fmt.Sprint(lookup(main, "image")),
			"replicas":             num(lookup(o.Body, "spec", "replicas"), "1"),
			"autoscaling":          cmp.Or(hpas[o.Name], "none"),
			"cpu request/limit":    pair(lookup(main, "resources", "requests", "cpu"), lookup(main, "resources", "limits", "cpu")),
			"memory request/limit": pair(lookup(main, "resources", "requests", "memory"), lookup(main, "resources", "limits", "memory")),
			"routes":               cmp.Or(strings.Join(sortedUnique(routes[o.Name]), ", "), "none"),
		}
		if hpas[o.Name] != "" {
			f["replicas"] = "by autoscaler"
		}
		out[o.Name] = f
	}
	return out
}

func hostsOr(hosts []any) []string {
	if len(hosts) == 0 {
		return []string{"*"}
	}
	var out []string
	for _, h := range hosts {
		out = append(out, fmt.Sprint(h))
	}
	return out
}

func sortedUnique(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func num(v any, def string) string {
	if v == nil {
		return def
	}
	return fmt.Sprint(v)
}

func pair(req, lim any) string {
	str := func(v any) string {
		if v == nil {
			return "none"
		}
		return fmt.Sprint(v)
	}
	return str(req) + " / " + str(lim)
}

// shrinks reports whether the quantity b is smaller than a.
func shrinks(a, b any) bool {
	as, ok1 := a.(string)
	bs, ok2 := b.(string)
	if !ok1 || !ok2 {
		return false
	}
	qa, err1 := resource.ParseQuantity(as)
	qb, err2 := resource.ParseQuantity(bs)
	return err1 == nil && err2 == nil && qb.Cmp(qa) < 0
}
