package environments

import (
	"encoding/json"
	"fmt"
	"strings"

	pc "github.com/telepace/platform-charts/pkg/constructs"
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
