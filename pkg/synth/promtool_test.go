package synth_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/environments/environmentstest"
	"github.com/telepace/platform-charts/pkg/alerts"
	"github.com/telepace/platform-charts/pkg/synth"
	"github.com/telepace/platform-charts/test/e2e/cluster"
)

// promtool's rule unit-test file format.
type (
	promTest struct {
		RuleFiles          []string    `json:"rule_files"`
		EvaluationInterval string      `json:"evaluation_interval"`
		Tests              []promGroup `json:"tests"`
	}
	promGroup struct {
		Name          string          `json:"name"`
		Interval      string          `json:"interval"`
		InputSeries   []promSeries    `json:"input_series"`
		AlertRuleTest []promAlertTest `json:"alert_rule_test"`
	}
	promSeries struct {
		Series string `json:"series"`
		Values string `json:"values"`
	}
	promAlertTest struct {
		EvalTime  string          `json:"eval_time"`
		Alertname string          `json:"alertname"`
		ExpAlerts []promExpAlerts `json:"exp_alerts"`
	}
	promExpAlerts struct {
		ExpLabels      map[string]string `json:"exp_labels"`
		ExpAnnotations map[string]string `json:"exp_annotations"`
	}
)

// scenario is input that makes one alert fire, rendering $value as value,
// and inputs that each keep it silent.
type scenario struct {
	fire     []promSeries
	silent   [][]promSeries
	value    string // $value as the description renders it
	evalTime string
}

// scenarios returns, for the alert name, series in the service's namespace
// that fire it and series that do not. They are written against the metric
// names and labels the queries read, so a query that stops matching them
// fails here.
func scenarios(alert, ns, svc string) scenario {
	dep := fmt.Sprintf(`{namespace=%q,deployment=%q}`, ns, svc)
	ctr := fmt.Sprintf(`{namespace=%q,container=%q,pod="%s-5d9c7b-x2x4q"`, ns, svc, svc)
	hpa := fmt.Sprintf(`{namespace=%q,horizontalpodautoscaler=%q}`, ns, svc)
	job := fmt.Sprintf(`namespace=%q,job_name="%s-migrate"`, ns, svc)
	route := fmt.Sprintf(`route="httproute.%s.%s.0.0"`, ns, svc)
	// A service with routes on two hosts has HTTPRoutes <svc>-1 and <svc>-2.
	route2 := fmt.Sprintf(`route="httproute.%s.%s-2.0.0"`, ns, svc)
	s := func(series, values string) promSeries { return promSeries{Series: series, Values: values} }
	requests := func(r, code, values string) promSeries {
		return s(`kong_http_requests_total{`+r+`,code="`+code+`"}`, values)
	}
	bucket := func(le, values string) promSeries {
		return s(`kong_request_latency_ms_bucket{`+route+`,le="`+le+`"}`, values)
	}
	switch alert {
	case alerts.PodsUnavailable:
		return scenario{
			fire:   []promSeries{s("kube_deployment_spec_replicas"+dep, "3x60"), s("kube_deployment_status_replicas_available"+dep, "1x60")},
			silent: [][]promSeries{{s("kube_deployment_spec_replicas"+dep, "3x60"), s("kube_deployment_status_replicas_available"+dep, "3x60")}},
			value:  "2", evalTime: "40m",
		}
	case alerts.CrashLooping:
		return scenario{
			fire:     []promSeries{s("kube_pod_container_status_waiting_reason"+ctr+`,reason="CrashLoopBackOff"}`, "1x60")},
			silent:   [][]promSeries{{s("kube_pod_container_status_waiting_reason"+ctr+`,reason="ContainerCreating"}`, "1x60")}},
			evalTime: "40m",
		}
	case alerts.HPAAtMax:
		return scenario{
			fire:   []promSeries{s("kube_horizontalpodautoscaler_status_current_replicas"+hpa, "10x60"), s("kube_horizontalpodautoscaler_spec_max_replicas"+hpa, "10x60")},
			silent: [][]promSeries{{s("kube_horizontalpodautoscaler_status_current_replicas"+hpa, "9x60"), s("kube_horizontalpodautoscaler_spec_max_replicas"+hpa, "10x60")}},
			value:  "10", evalTime: "40m",
		}
	case alerts.MigrationFailed:
		return scenario{
			fire: []promSeries{s(`kube_job_failed{`+job+`,condition="true"}`, "1x10")},
			// A pod failed and the retry succeeded: the Job did not fail.
			silent:   [][]promSeries{{s(`kube_job_status_failed{`+job+`}`, "1x10"), s(`kube_job_failed{`+job+`,condition="true"}`, "0x10")}},
			evalTime: "5m",
		}
	case alerts.HighErrorRatio:
		return scenario{
			// Half the requests fail, on the second of two HTTPRoutes.
			fire: []promSeries{requests(route2, "500", "0+60x60"), requests(route, "200", "0+60x60")},
			silent: [][]promSeries{
				{requests(route, "500", "0x60"), requests(route, "200", "0+60x60")},
				// Two requests a minute, both failing: too little traffic.
				{requests(route, "502", "0+2x60")},
				// Another service's route, whose name only starts alike.
				{requests(fmt.Sprintf(`route="httproute.%s.%sx.0.0"`, ns, svc), "500", "0+60x60")},
			},
			value: "50%", evalTime: "40m",
		}
	case alerts.HighLatency:
		// All requests take between 2.5 s and 10 s: p99 interpolates to
		// 2500 + 7500 * 0.99 = 9925 ms. Silent: all under 100 ms (p99 99),
		// or slow but only two requests a minute.
		traffic := requests(route, "200", "0+60x60")
		return scenario{
			fire: []promSeries{traffic, bucket("100", "0x60"), bucket("2500", "0x60"), bucket("10000", "0+60x60"), bucket("+Inf", "0+60x60")},
			silent: [][]promSeries{
				{traffic, bucket("100", "0+60x60"), bucket("2500", "0+60x60"), bucket("10000", "0+60x60"), bucket("+Inf", "0+60x60")},
				{requests(route, "200", "0+2x60"), bucket("100", "0x60"), bucket("2500", "0x60"), bucket("10000", "0+2x60"), bucket("+Inf", "0+2x60")},
			},
			value: "9925", evalTime: "40m",
		}
	}
	panic("no scenario for alert " + alert)
}

// renderValue fills the description as Prometheus's template would for value.
func renderValue(text, value string) string {
	text = strings.ReplaceAll(text, "{{ $value | humanizePercentage }}", value)
	return strings.ReplaceAll(text, "{{ $value }}", value)
}

// promtoolPath returns the pinned promtool that hack/e2e-tools.sh built,
// and skips in -short mode, where it is not built.
func promtoolPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("promtool alert tests run in `make test`, which builds promtool")
	}
	root, err := cluster.FindRepoRoot(".")
	require.NoError(t, err)
	tools, err := cluster.LocateTools(root, "")
	require.NoError(t, err)
	return tools.Path("promtool")
}

// TestAlertsWithPromtool runs `promtool test rules` (pinned, built by
// hack/e2e-tools.sh) over test files generated from Go: for every alert of
// every service in every environment, input series that make it fire with
// the expected labels and annotations, and series that keep it silent.
func TestAlertsWithPromtool(t *testing.T) {
	promtool := promtoolPath(t)

	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	ran := 0
	for _, env := range environments.All() {
		for _, scoped := range resolved[env.Name].Plan.Monitoring.Rules {
			rule := scoped.Props
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "rules.yaml"), rule.RuleFile(), 0o644))
			file := promTest{RuleFiles: []string{"rules.yaml"}, EvaluationInterval: "1m"}
			for _, a := range rule.Alerts {
				// Expected from the catalog, not from the rule under test:
				// the environment's severity (or the alert's own, where
				// pkg/alerts fixes it), and the labels Alertmanager's
				// namespace matcher and the runbooks rely on.
				severity := alerts.Severity(a.Name, env.Monitoring.Alerts)
				svc := rule.Name
				labels := map[string]string{"severity": severity, "service": svc, "environment": env.Name, "namespace": env.Namespace}
				sc := scenarios(a.Name, env.Namespace, svc)
				file.Tests = append(file.Tests, promGroup{Name: a.Name + " fires", Interval: "1m", InputSeries: sc.fire, AlertRuleTest: []promAlertTest{{
					EvalTime: sc.evalTime, Alertname: a.Name, ExpAlerts: []promExpAlerts{{
						ExpLabels: labels,
						ExpAnnotations: map[string]string{
							"summary":     a.Summary,
							"description": renderValue(a.Description, sc.value),
							"runbook_url": a.RunbookURL,
						},
					}},
				}}})
				for i, silent := range sc.silent {
					file.Tests = append(file.Tests, promGroup{Name: fmt.Sprintf("%s stays silent (%d)", a.Name, i), Interval: "1m", InputSeries: silent, AlertRuleTest: []promAlertTest{{
						EvalTime: sc.evalTime, Alertname: a.Name, ExpAlerts: []promExpAlerts{},
					}}})
				}
				ran++
			}
			raw, err := yaml.Marshal(file)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "tests.yaml"), raw, 0o644))
			cmd := exec.Command(promtool, "test", "rules", "tests.yaml")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s/%s: promtool test rules:\n%s\n--- rules.yaml\n%s--- tests.yaml\n%s", env.Name, rule.Name, out, rule.RuleFile(), raw)
		}
	}
	require.Positive(t, ran)
	t.Logf("promtool: %d alerts fired and stayed silent as expected", ran)
}

// TestPromtoolCatchesAWrongExpectation proves the run above can fail: an
// alert expected with the wrong severity fails promtool.
func TestPromtoolCatchesAWrongExpectation(t *testing.T) {
	promtool := promtoolPath(t)
	resolved, err := synth.Resolve([]environments.Environment{environmentstest.Lookup("prod")})
	require.NoError(t, err)
	rule := resolved["prod"].Plan.Monitoring.Rules[0].Props
	a := rule.Alerts[0]
	sc := scenarios(a.Name, "telepace", rule.Name)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rules.yaml"), rule.RuleFile(), 0o644))
	raw, err := yaml.Marshal(promTest{RuleFiles: []string{"rules.yaml"}, EvaluationInterval: "1m", Tests: []promGroup{{
		Name: "wrong", Interval: "1m", InputSeries: sc.fire, AlertRuleTest: []promAlertTest{{
			EvalTime: sc.evalTime, Alertname: a.Name, ExpAlerts: []promExpAlerts{{ExpLabels: map[string]string{"severity": "info"}}},
		}},
	}}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tests.yaml"), raw, 0o644))
	cmd := exec.Command(promtool, "test", "rules", "tests.yaml")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "promtool accepted a wrong expectation:\n%s", out)
	require.Contains(t, string(out), "FAILED")
}
