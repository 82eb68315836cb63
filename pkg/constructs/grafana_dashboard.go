package constructs

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/logs"
	"github.com/grafana/grafana-foundation-sdk/go/loki"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/telepace/platform-charts/pkg/queries"
)

// Grafana's sidecar in kube-prometheus-stack loads every ConfigMap that
// carries DashboardLabel, into the folder DashboardFolderAnnotation names.
const (
	DashboardLabel            = "grafana_dashboard"
	DashboardFolderAnnotation = "grafana_folder"
)

// Datasource variables every dashboard declares; panels refer to them, never
// to a fixed datasource UID.
const (
	PrometheusVariable = "datasource"
	LokiVariable       = "loki"
)

// DashboardPanel is one time-series panel of named queries.
type DashboardPanel struct {
	// Title is the panel's title. Required.
	Title string
	// Unit is Grafana's unit, such as "reqps", "percentunit", "ms",
	// "bytes". Defaults to none.
	Unit string
	// Queries name queries in package queries; each is a series. Required.
	Queries []string
	// Service, when set, is the service the queries are about instead of
	// the dashboard's target, for overview dashboards.
	Service string
}

// DashboardProps configures a Grafana dashboard for one service.
type DashboardProps struct {
	// Name is the ConfigMap's name. Defaults to the construct id.
	Name string
	// Labels are the ConfigMap's recommended labels. Required.
	Labels Labels
	// Title is the dashboard's title. Required.
	Title string
	// UID is the dashboard's stable UID, at most 40 characters. Required.
	UID string
	// Folder is the Grafana folder. Required.
	Folder string
	// Target is the service the queries are about. Required.
	Target queries.Target
	// Panels are the time-series panels, in order. Required.
	Panels []DashboardPanel
	// LogSelector, when set, adds a Loki logs panel with this LogQL stream
	// selector, such as {namespace="telepace", service="web"}.
	LogSelector string
}

// GrafanaDashboard is a dashboard built with Grafana's foundation SDK and
// shipped as a ConfigMap for Grafana's sidecar.
type GrafanaDashboard struct {
	constructs.Construct
	// ConfigMap holds the dashboard JSON.
	ConfigMap cdk8s.ApiObject
	title     string
	uid       string
}

// NewGrafanaDashboard adds a dashboard named id to scope. Every query is
// taken from package queries by name; an unknown name is reported with its
// panel.
func NewGrafanaDashboard(scope constructs.Construct, id string, props DashboardProps) *GrafanaDashboard {
	g := &GrafanaDashboard{Construct: newConstruct(scope, id), title: props.Title, uid: props.UID}
	name := cmp.Or(props.Name, id)
	var errs problems
	validateObjectName(&errs, "name", name)
	if props.Title == "" {
		errs.addf("title", "is required")
	}
	if props.UID == "" || len(props.UID) > 40 {
		errs.addf("uid", "%q must be 1 to 40 characters", props.UID)
	}
	if strings.TrimSpace(props.Folder) == "" || strings.ContainsAny(props.Folder, "\n\r/") {
		errs.addf("folder", "%q must be a folder name: not empty, no line breaks or slashes", props.Folder)
	}
	promDS := datasourceRef("prometheus", PrometheusVariable)
	b := dashboard.NewDashboardBuilder(props.Title).
		Uid(props.UID).
		Tags([]string{"telepace", props.Target.Service}).
		Time("now-6h", "now").
		Refresh("1m").
		Timezone(common.TimeZoneBrowser).
		Editable().
		WithVariable(dashboard.NewDatasourceVariableBuilder(PrometheusVariable).Label("Prometheus").Type("prometheus"))
	if props.LogSelector != "" {
		b = b.WithVariable(dashboard.NewDatasourceVariableBuilder(LokiVariable).Label("Loki").Type("loki"))
	}
	for i, p := range props.Panels {
		field := fmt.Sprintf("panels[%d]", i)
		if p.Title == "" {
			errs.addf(field+".title", "is required")
		}
		if len(p.Queries) == 0 {
			errs.addf(field+".queries", "at least one query is required")
		}
		// Two panels a row, placed explicitly so nothing overflows the
		// 24-column grid.
		panel := timeseries.NewPanelBuilder().Title(p.Title).Datasource(promDS).
			GridPos(dashboard.GridPos{X: uint32(12 * (i % 2)), Y: uint32(8 * (i / 2)), W: 12, H: 8}).
			Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom)).
			Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
		if p.Unit != "" {
			panel = panel.Unit(p.Unit)
		}
		target := props.Target
		if p.Service != "" {
			target.Service = p.Service
		}
		for j, qn := range p.Queries {
			expr, err := queries.Expr(qn, target)
			if err != nil {
				errs.addf(fmt.Sprintf("%s.queries[%d]", field, j), "%v", err)
				continue
			}
			panel = panel.WithTarget(prometheus.NewDataqueryBuilder().
				Datasource(promDS).Expr(expr).LegendFormat(qn).RefId(refID(j)))
		}
		b = b.WithPanel(panel)
	}
	if props.LogSelector != "" {
		lokiDS := datasourceRef("loki", LokiVariable)
		rows := uint32((len(props.Panels) + 1) / 2)
		b = b.WithPanel(logs.NewPanelBuilder().Title("Logs").Datasource(lokiDS).
			GridPos(dashboard.GridPos{X: 0, Y: 8 * rows, W: 24, H: 10}).
			ShowTime(true).EnableLogDetails(true).
			WithTarget(loki.NewDataqueryBuilder().Datasource(lokiDS).Expr(props.LogSelector).RefId("A")))
	}
	var body string
	if len(errs) == 0 {
		d, err := b.Build()
		if err != nil {
			errs.addf("panels", "%v", err)
		} else {
			raw, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				panic(fmt.Sprintf("constructs: dashboard %s: %v", id, err))
			}
			body = string(raw) + "\n"
		}
	}
	AddProblems(g.Construct, errs...)
	labels := props.Labels.Map()
	labels[DashboardLabel] = "1"
	g.ConfigMap = NewTypedObject(g.Construct, "resource", &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Labels:      labels,
			Annotations: map[string]string{DashboardFolderAnnotation: props.Folder},
		},
		Data: map[string]string{name + ".json": body},
	})
	return g
}

func datasourceRef(typ, variable string) common.DataSourceRef {
	uid := "${" + variable + "}"
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}

func refID(i int) string { return strings.ToUpper(string(rune('a' + i%26))) }

// ServicePanels are the panels of a service dashboard: the same queries the
// alerts use.
func ServicePanels(routed bool) []DashboardPanel {
	panels := []DashboardPanel{
		{Title: "Pods available / desired", Queries: []string{queries.PodsAvailable, queries.PodsDesired}},
		{Title: "Restarts (1h)", Queries: []string{queries.Restarts}},
		{Title: "CPU against requests and limits", Unit: "short", Queries: []string{queries.CPUUsage, queries.CPURequests, queries.CPULimits}},
		{Title: "Memory against requests and limits", Unit: "bytes", Queries: []string{queries.MemoryUsage, queries.MemoryRequests, queries.MemoryLimits}},
	}
	if routed {
		panels = append([]DashboardPanel{
			{Title: "Request rate", Unit: "reqps", Queries: []string{queries.RequestRate}},
			{Title: "5xx ratio", Unit: "percentunit", Queries: []string{queries.ErrorRatio}},
			{Title: "p99 latency", Unit: "ms", Queries: []string{queries.LatencyP99}},
		}, panels...)
	}
	return panels
}
