package constructs_test

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
	"github.com/telepace/platform-charts/pkg/queries"
)

// A PrometheusRule whose alert takes its expression from package queries;
// Prometheus's own rule loader and PromQL parser check it at synth time.
func ExampleNewPrometheusRule() {
	target := queries.Target{Namespace: "telepace", Service: "analysis"}
	var rule *pc.PrometheusRule
	_, err := constructstest.Synth(func(chart constructs.Construct) {
		rule = pc.NewPrometheusRule(chart, "alerts", pc.PrometheusRuleProps{
			Name:           "analysis",
			Labels:         pc.Labels{Name: "analysis", Instance: "telepace-prod"},
			SelectorLabels: map[string]string{"release": "kube-prometheus-stack"},
			Alerts: []pc.Alert{{
				Name:        "TelepacePodsUnavailable",
				Expr:        "(" + queries.MustExpr(queries.PodsUnavailable, target) + ") > 0",
				For:         "5m",
				Severity:    "critical",
				Summary:     "analysis has fewer available pods than desired",
				Description: "{{ $value }} pods are unavailable.",
				RunbookURL:  "https://github.com/telepace/platform-charts/blob/main/docs/runbooks.md#telepacepodsunavailable",
			}},
		})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(rule.RuleFile()))
	// Output:
	// groups:
	// - name: analysis
	//   rules:
	//   - alert: TelepacePodsUnavailable
	//     annotations:
	//       description: '{{ $value }} pods are unavailable.'
	//       runbook_url: https://github.com/telepace/platform-charts/blob/main/docs/runbooks.md#telepacepodsunavailable
	//       summary: analysis has fewer available pods than desired
	//     expr: (sum(kube_deployment_spec_replicas{namespace="telepace",deployment="analysis"})
	//       - sum(kube_deployment_status_replicas_available{namespace="telepace",deployment="analysis"}))
	//       > 0
	//     for: 5m
	//     labels:
	//       severity: critical
}

// A ServiceMonitor for a service's metrics endpoint, picked up by the
// environment's Prometheus through its release label.
func ExampleNewServiceMonitor() {
	objs, err := constructstest.Synth(func(chart constructs.Construct) {
		p := validProps()
		p.Metrics = &pc.Metrics{}
		ms := pc.NewMicroservice(chart, "analysis", p)
		pc.NewServiceMonitor(ms.Construct, "monitor", pc.ServiceMonitorProps{Service: ms, SelectorLabels: map[string]string{"release": "kube-prometheus-stack"}})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	sm := constructstest.Find(objs, "ServiceMonitor", "analysis")
	fmt.Println(sm["apiVersion"], sm["metadata"].(map[string]any)["labels"].(map[string]any)["release"])
	fmt.Println(sm["spec"].(map[string]any)["endpoints"])
	// Output:
	// monitoring.coreos.com/v1 kube-prometheus-stack
	// [map[interval:30s path:/metrics port:http]]
}

// Alerts routed by severity: critical pages, the rest goes to chat. The
// receivers' credentials stay in Secrets.
func ExampleNewAlertmanagerConfig() {
	objs, err := constructstest.Synth(func(chart constructs.Construct) {
		pc.NewAlertmanagerConfig(chart, "alertmanager", pc.AlertmanagerConfigProps{
			Name:   "telepace-alerts",
			Labels: pc.Labels{Name: "monitoring", Instance: "telepace-prod"},
			Receivers: []pc.Receiver{
				{Name: "chat", Slack: &pc.SecretKey{Name: "alertmanager-slack", Key: "webhook-url"}},
				{Name: "pager", PagerDuty: &pc.SecretKey{Name: "alertmanager-pagerduty", Key: "routing-key"}},
			},
			Routes:  []pc.SeverityRoute{{Severities: []string{"critical"}, Receiver: "pager"}},
			Default: "chat",
		})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	route := constructstest.Find(objs, "AlertmanagerConfig", "telepace-alerts")["spec"].(map[string]any)["route"]
	fmt.Println(route)
	// Output:
	// map[groupBy:[alertname service] receiver:chat routes:[map[matchers:[map[matchType:=~ name:severity value:^(critical)$]] receiver:pager]]]
}

// A service dashboard: the panels name queries from package queries, and
// every datasource is a template variable.
func ExampleNewGrafanaDashboard() {
	objs, err := constructstest.Synth(func(chart constructs.Construct) {
		pc.NewGrafanaDashboard(chart, "dashboard", pc.DashboardProps{
			Name:   "web-dashboard",
			Labels: pc.Labels{Name: "web", Instance: "telepace-prod"},
			Title:  "Telepace prod: web",
			UID:    "telepace-prod-web",
			Folder: "Telepace prod",
			Target: queries.Target{Namespace: "telepace", Service: "web"},
			Panels: pc.ServicePanels(true),
		})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cm := constructstest.Find(objs, "ConfigMap", "web-dashboard")
	fmt.Println(cm["metadata"].(map[string]any)["labels"].(map[string]any)[pc.DashboardLabel])
	fmt.Println(cm["metadata"].(map[string]any)["annotations"])
	// Output:
	// 1
	// map[grafana_folder:Telepace prod]
}
