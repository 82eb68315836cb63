package compose_test

import (
	"maps"

	"github.com/telepace/platform-charts/environments"
)

// umbrellaInputs are mistakes in the dev umbrella's pins, values and retention, which the umbrella layer reports.
var umbrellaInputs = []badInput{
	{
		name: "umbrella dependencies that are not pinned or collide, retention that does not parse, volumes too small",
		envs: one(func(e environments.Environment) environments.Environment {
			deps := e.Dependencies()
			deps[0].Version = "~0.24"
			deps[1].Version = ""
			deps[2].Version = "latest"
			deps[3].Alias = "kong"
			e.Umbrella = func(environments.Environment) []environments.Dependency { return deps }
			e.Retention.Metrics = "a week"
			e.Retention.MetricsSize = "4G"
			volumes := maps.Clone(e.Retention.Volumes)
			volumes["postgres"] = "100Mi"
			volumes["redis"] = "1Gi"
			e.Retention.Volumes = volumes
			return e
		}),
		want: []string{
			`[dev] dependencies[0].version: "~0.24" is not an exact chart version (such as 1.2.3); ranges, "latest" and empty versions install whatever the repository serves that day`,
			`[dev] dependencies[1].version: "" is not an exact chart version (such as 1.2.3); ranges, "latest" and empty versions install whatever the repository serves that day`,
			`[dev] dependencies[2].version: "latest" is not an exact chart version (such as 1.2.3); ranges, "latest" and empty versions install whatever the repository serves that day`,
			`[dev] dependencies[3].alias: "kong" is already dependencies[0]'s values key; Helm would merge both charts' values`,
			`[dev] retention.metrics: "a week" is not a duration such as 15d or 168h`,
			`[dev] retention.metricsSize: "4G" is not a Prometheus size such as 8GB`,
			`[dev] retention.volumes[postgres]: 100Mi is below the 1Gi the chart needs`,
			`[dev] retention.volumes[redis]: no data store of that name`,
		},
	},
	{
		name: "umbrella dependencies Helm would misread: a reserved key, a bad name, values that set enabled or contain themselves",
		envs: one(func(e environments.Environment) environments.Environment {
			deps := e.Dependencies()
			deps[0].Alias = "global"
			deps[1].Name = "a: b"
			deps[2].Values, deps[2].Wiring = map[string]any{"enabled": false}, nil
			deps[3].Values, deps[3].Wiring = &recursiveValues{}, nil
			e.Retention.Alerts = "5d"
			e.Umbrella = func(environments.Environment) []environments.Dependency { return deps }
			return e
		}),
		want: []string{
			`[dev] dependencies[0].alias: "global" is a values key Helm reserves`,
			`[dev] dependencies[1].name: "a: b" is not a chart name (lower-case letters, digits and '-')`,
			`[dev] dependencies[2].values: sets enabled, which the umbrella sets: <key>.enabled installs the chart`,
			`[dev] dependencies[3].values: compose_test.recursiveValues refers to itself; a values schema cannot be generated for it`,
			`[dev] retention.alerts: "5d" is not an Alertmanager duration such as 120h (hours, minutes, seconds)`,
		},
	},
	{
		name: "umbrella dependencies pinned without a source that was read, or offering a choice nothing sets",
		envs: one(func(e environments.Environment) environments.Environment {
			deps := e.Dependencies()
			deps[0].Source = environments.ChartSource{}
			deps[1].Source.Commit = "main"
			deps[2].Source.Commit, deps[2].Source.GoModule = "", false
			deps[3].Choices = map[string]string{"no-such.key": "a choice nothing sets"}
			deps[4].Wiring = []string{"no-such.key"}
			e.Umbrella = func(environments.Environment) []environments.Dependency { return deps }
			return e
		}),
		want: []string{
			sourceProblem(0),
			sourceProblem(1),
			sourceProblem(2),
			`[dev] dependencies[3].choices[no-such.key]: not a key the umbrella sets in the dependency's values; a choice is a value the schema knows`,
			`[dev] dependencies[4].wiring[no-such.key]: not a key the umbrella sets in the dependency's values`,
		},
	},
}
