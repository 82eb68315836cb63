package compose

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/telepace/platform-charts/environments"
)

// chartName is a Helm chart name as repositories publish them.
var chartName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// alertmanagerDuration is the pattern of the Alertmanager CRD's retention.
var alertmanagerDuration = regexp.MustCompile(`^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)

// recursiveType returns a type that contains itself within t, or nil.
func recursiveType(t reflect.Type, path []reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	if slices.Contains(path, t) {
		return t
	}
	path = append(path, t)
	for i := range t.NumField() {
		if r := recursiveType(t.Field(i).Type, path); r != nil {
			return r
		}
	}
	return nil
}

// prometheusSize is the pattern of the Prometheus CRD's retentionSize.
var prometheusSize = regexp.MustCompile(`^(0|([0-9]*[.])?[0-9]+((K|M|G|T|E|P)i?)?B)$`)

var commitHash = regexp.MustCompile(`^[0-9a-f]{40}$`)

var exactVersion = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// umbrellaProblems returns the problems with the environment's umbrella
// dependencies and retention.
func umbrellaProblems(e environments.Environment, deps []environments.Dependency) problems {
	var ps problems
	keys := map[string]int{}
	for i, d := range deps {
		ps = append(ps, dependencyProblems(fmt.Sprintf("dependencies[%d]", i), d)...)
		if j, dup := keys[d.Key()]; dup && d.Key() != "" {
			ps.addf("dependencies[%d].alias: %q is already dependencies[%d]'s values key; Helm would merge both charts' values", i, d.Key(), j)
		}
		keys[d.Key()] = i
	}
	if len(deps) == 0 && e.Retention.Metrics == "" && len(e.Retention.Volumes) == 0 {
		return ps // no umbrella, and nothing stated of the layers beside it
	}
	return append(ps, retentionProblems(e.Retention)...)
}

// dependencyProblems returns the problems of one dependency, at field.
func dependencyProblems(field string, d environments.Dependency) problems {
	var ps problems
	addf := ps.addf
	if !chartName.MatchString(d.Name) {
		addf("%s.name: %q is not a chart name (lower-case letters, digits and '-')", field, d.Name)
	}
	if d.Key() == "global" || d.Key() == "tags" {
		addf("%s.alias: %q is a values key Helm reserves", field, d.Key())
	}
	if !exactVersion.MatchString(d.Version) {
		addf("%s.version: %q is not an exact chart version (such as 1.2.3); ranges, \"latest\" and empty versions install whatever the repository serves that day", field, d.Version)
	}
	if u, err := url.Parse(d.Repository); err != nil || (u.Scheme != "https" && u.Scheme != "oci") || u.Host == "" {
		addf("%s.repository: %q is not an https:// or oci:// chart repository", field, d.Repository)
	}
	if msgs := validation.IsDNS1123Label(d.Key()); len(msgs) > 0 && d.Key() != "" {
		addf("%s.alias: %q cannot be a values key and subchart name: %s", field, d.Key(), strings.Join(msgs, "; "))
	}
	if d.Why == "" {
		addf("%s.why: say why this chart; the README records it", field)
	}
	if src := d.Source; src.Repository == "" || src.Path == "" || src.Tag == "" || !(commitHash.MatchString(src.Commit) || src.GoModule) {
		addf("%s.source: name the source repository, chart path, tag, and commit (40 hex digits) of version %s; pin only a version whose source you have read", field, d.Version)
	}
	for _, k := range d.Wiring {
		if _, ok := environments.ValueAt(d.Values, k); !ok {
			addf("%s.wiring[%s]: not a key the umbrella sets in the dependency's values", field, k)
		}
		if _, both := d.Choices[k]; both {
			addf("%s.wiring[%s]: is also a choice; a key the others are wired to cannot be chosen at install", field, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(d.Choices)) {
		if _, ok := environments.ValueAt(d.Values, k); !ok {
			addf("%s.choices[%s]: not a key the umbrella sets in the dependency's values; a choice is a value the schema knows", field, k)
		}
	}
	ps = append(ps, valuesProblems(field, d.Values)...)

	return ps
}

// valuesProblems returns what keeps a dependency's values, at field, from
// being its chart's values and having a schema.
func valuesProblems(field string, values any) problems {
	var ps problems
	addf := ps.addf
	if values == nil {
		return nil
	}
	if t := recursiveType(reflect.TypeOf(values), nil); t != nil {
		addf("%s.values: %v refers to itself; a values schema cannot be generated for it", field, t)
	} else if raw, err := json.Marshal(values); err != nil {
		addf("%s.values: %v", field, err)
	} else if !bytes.HasPrefix(raw, []byte("{")) {
		addf("%s.values: %T is not a struct or map of the chart's keys", field, values)
	} else {
		var top map[string]any
		if json.Unmarshal(raw, &top) == nil {
			if _, ok := top["enabled"]; ok {
				addf("%s.values: sets enabled, which the umbrella sets: <key>.enabled installs the chart", field)
			}
		}
	}
	return ps
}

// retentionProblems returns the problems with an environment's retention.
func retentionProblems(r environments.Retention) problems {
	var ps problems
	addf := ps.addf
	for _, f := range []struct{ field, value string }{{"retention.metrics", r.Metrics}, {"retention.logs", r.Logs}} {
		if d, err := model.ParseDuration(f.value); err != nil || d <= 0 {
			addf("%s: %q is not a duration such as 15d or 168h", f.field, f.value)
		}
	}
	if !alertmanagerDuration.MatchString(r.Alerts) || r.Alerts == "0" {
		addf("retention.alerts: %q is not an Alertmanager duration such as 120h (hours, minutes, seconds)", r.Alerts)
	}
	if !prometheusSize.MatchString(r.MetricsSize) {
		addf("retention.metricsSize: %q is not a Prometheus size such as 8GB", r.MetricsSize)
	}
	for _, name := range slices.Sorted(maps.Keys(environments.MinVolumes)) {
		v, ok := r.Volumes[name]
		if !ok {
			addf("retention.volumes[%s]: is required", name)
			continue
		}
		q, err := resource.ParseQuantity(v)
		if err != nil {
			addf("retention.volumes[%s]: %q is not a quantity such as 5Gi", name, v)
			continue
		}
		if min := resource.MustParse(environments.MinVolumes[name]); q.Cmp(min) < 0 {
			addf("retention.volumes[%s]: %s is below the %s the chart needs", name, v, environments.MinVolumes[name])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Volumes)) {
		if _, ok := environments.MinVolumes[name]; !ok {
			addf("retention.volumes[%s]: no data store of that name", name)
		}
	}
	return ps
}
