package environments

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

	pc "github.com/telepace/platform-charts/pkg/constructs"

	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Dependency is a Helm chart that an environment's umbrella chart installs
// beside the services: middleware, monitoring, operators. Chart.yaml lists
// it with its exact version and a condition, <alias>.enabled, and
// values.yaml carries Values under the alias, with a JSON schema generated
// from Values' Go type, so Helm rejects a mistyped override at install.
type Dependency struct {
	// Name is the chart's name in its repository. Required.
	Name string
	// Version is the chart's exact version; no range, no "latest".
	// Required.
	Version string
	// Repository is the chart repository: an https:// index or an oci://
	// registry path. Required.
	Repository string
	// Alias is the values key and subchart name. Defaults to Name.
	Alias string
	// Why is the reason for the choice, shown in the chart README.
	// Required.
	Why string
	// Source is where the chart's source at Version was read: every pin
	// names a tag (or commit) whose source someone has read. Required.
	Source ChartSource
	// Reach is what the chart reaches beyond the release's namespace
	// with the umbrella's values (cluster roles, host access, webhooks),
	// shown in the chart README. Empty means nothing.
	Reach string
	// Values are the subchart's values: a pointer to a Go struct whose
	// json tags are the chart's keys. Defaults to none.
	Values any
	// Wiring are the values keys, below the dependency's, that the
	// services or other dependencies are wired to (a Service name, a
	// Secret name): values.schema.json admits only the value set here,
	// so an install cannot rename what others reach. Defaults to none.
	Wiring []string
	// Choices are the values keys, below the dependency's, that are a
	// real deploy-time choice, with when to pick what; the chart README
	// lists them. Defaults to none.
	Choices map[string]string
	// Reads are the Secret keys the chart's pods read, such as a data
	// store's password; the secrets layer produces them like the
	// services' own, and the chart README lists the dependency among
	// their readers. Field is the values key that names the Secret.
	// Defaults to none.
	Reads []pc.SecretReference
}

// ChartSource is the source repository of a pinned chart, and the tag
// and commit of the pinned version.
type ChartSource struct {
	// Repository is the source repository, as "github.com/Kong/charts".
	Repository string
	// Path is the chart's directory in it, as "charts/ingress".
	Path string
	// Tag is the release tag of the pinned version, as "ingress-0.24.0".
	Tag string
	// Commit is the tag's commit, 40 hex digits. Required unless
	// GoModule.
	Commit string
	// GoModule says the chart ships inside the Go module Repository at
	// version Tag, fetched through the Go module proxy and pinned, with
	// its sum, in crd-versions.txt. Defaults to false.
	GoModule bool
}

// String returns "<repository>/<path>@<tag> (<commit[:12]>)", or for a
// Go module "<repository>/<path>@<tag> (Go module)".
func (s ChartSource) String() string {
	c := "Go module"
	if !s.GoModule {
		c = s.Commit[:min(12, len(s.Commit))]
	}
	return fmt.Sprintf("%s/%s@%s (%s)", s.Repository, s.Path, s.Tag, c)
}

// Dependencies returns the environment's umbrella dependencies, or none.
func (e Environment) Dependencies() []Dependency {
	if e.Umbrella == nil {
		return nil
	}
	return e.Umbrella(e)
}

// ValueAt returns the value that values, marshalled to JSON, hold at the
// dotted key path, and whether they hold one there.
func ValueAt(values any, path string) (any, bool) {
	raw, err := json.Marshal(values)
	if err != nil {
		return nil, false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil, false
	}
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// Key returns the dependency's values key: its alias, or its name.
func (d Dependency) Key() string {
	if d.Alias != "" {
		return d.Alias
	}
	return d.Name
}

// Retention is how long, and how much, the monitoring layer keeps, and
// how large the data volumes are. The dev umbrella passes it to its
// charts; the other environments' READMEs state it as what they expect of
// the layers run beside them. Checked whenever it is set.
type Retention struct {
	// Metrics is Prometheus' retention time ("15d") and RetentionSize its
	// cap on disk ("8GB"). Required.
	Metrics, MetricsSize string
	// Alerts is how long Alertmanager keeps silences and notification
	// state ("120h"). Required.
	Alerts string
	// Logs is Loki's retention period ("168h"), enforced by its compactor.
	// Required.
	Logs string
	// Volumes are the persistent volume sizes, by data store: postgres,
	// valkey, object-store, prometheus, loki. Required for each the
	// environment runs.
	Volumes map[string]string
}

// MinVolumes are the smallest volumes the charts can work with.
var MinVolumes = map[string]string{
	"postgres":     "1Gi",
	"valkey":       "512Mi",
	"object-store": "1Gi",
	"prometheus":   "2Gi",
	"loki":         "1Gi",
}

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

// dependencyProblems returns the problems with the environment's
// dependencies and retention.
func (e Environment) dependencyProblems() []string {
	var problems []string
	addf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	keys := map[string]int{}
	deps := e.Dependencies()
	for i, d := range deps {
		field := fmt.Sprintf("dependencies[%d]", i)
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
		if j, dup := keys[d.Key()]; dup && d.Key() != "" {
			addf("%s.alias: %q is already dependencies[%d]'s values key; Helm would merge both charts' values", field, d.Key(), j)
		}
		keys[d.Key()] = i
		if d.Why == "" {
			addf("%s.why: say why this chart; the README records it", field)
		}
		if src := d.Source; src.Repository == "" || src.Path == "" || src.Tag == "" || !(commitHash.MatchString(src.Commit) || src.GoModule) {
			addf("%s.source: name the source repository, chart path, tag, and commit (40 hex digits) of version %s; pin only a version whose source you have read", field, d.Version)
		}
		for _, k := range d.Wiring {
			if _, ok := ValueAt(d.Values, k); !ok {
				addf("%s.wiring[%s]: not a key the umbrella sets in the dependency's values", field, k)
			}
			if _, both := d.Choices[k]; both {
				addf("%s.wiring[%s]: is also a choice; a key the others are wired to cannot be chosen at install", field, k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(d.Choices)) {
			if _, ok := ValueAt(d.Values, k); !ok {
				addf("%s.choices[%s]: not a key the umbrella sets in the dependency's values; a choice is a value the schema knows", field, k)
			}
		}
		if d.Values != nil {
			if t := recursiveType(reflect.TypeOf(d.Values), nil); t != nil {
				addf("%s.values: %v refers to itself; a values schema cannot be generated for it", field, t)
			} else if raw, err := json.Marshal(d.Values); err != nil {
				addf("%s.values: %v", field, err)
			} else if !bytes.HasPrefix(raw, []byte("{")) {
				addf("%s.values: %T is not a struct or map of the chart's keys", field, d.Values)
			} else {
				var top map[string]any
				if json.Unmarshal(raw, &top) == nil {
					if _, ok := top["enabled"]; ok {
						addf("%s.values: sets enabled, which the umbrella sets: <key>.enabled installs the chart", field)
					}
				}
			}
		}
	}
	if len(deps) == 0 && e.Retention.Metrics == "" && len(e.Retention.Volumes) == 0 {
		return problems // no umbrella, and nothing stated of the layers beside it
	}
	r := e.Retention
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
	for _, name := range slices.Sorted(maps.Keys(MinVolumes)) {
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
		if min := resource.MustParse(MinVolumes[name]); q.Cmp(min) < 0 {
			addf("retention.volumes[%s]: %s is below the %s the chart needs", name, v, MinVolumes[name])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Volumes)) {
		if _, ok := MinVolumes[name]; !ok {
			addf("retention.volumes[%s]: no data store of that name", name)
		}
	}
	return problems
}
