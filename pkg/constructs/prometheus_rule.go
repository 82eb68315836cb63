package constructs

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/pkg/queries"
)

// Severities an alert may carry, from the most urgent.
var Severities = []string{"critical", "warning", "info"}

// Alert is one Prometheus alerting rule, with the labels and annotations an
// on-call engineer needs.
type Alert struct {
	// Name is the alert's name, such as "TelepacePodsUnavailable".
	// Required; a valid metric name.
	Name string
	// Expr is the PromQL condition. Required unless Query is set.
	Expr string
	// Query names a query of package queries (queries.Names), resolved
	// for the rule's Target, in place of Expr. A name queries does not
	// know is a validation problem naming the alert. Defaults to none.
	Query string
	// For is how long Expr must hold before the alert fires, as a
	// Prometheus duration ("5m"). Defaults to firing at once.
	For string
	// Severity is critical, warning or info; Alertmanager routes on it.
	// Required.
	Severity string
	// Summary is a one-line statement of the problem. Required.
	Summary string
	// Description says what is wrong and what it affects; it may use
	// {{ $value }} and {{ $labels.x }}. Required.
	Description string
	// RunbookURL links the steps to take. Required; an absolute https URL.
	RunbookURL string
	// Labels are extra labels. Defaults to none.
	Labels map[string]string
}

// PrometheusRuleProps configures a PrometheusRule: one rule group.
type PrometheusRuleProps struct {
	// Name is the object's name and the rule group's. Defaults to the
	// construct id.
	Name string
	// Labels are the object's recommended labels. Required.
	Labels Labels
	// SelectorLabels are the labels the environment's Prometheus selects
	// rules by, such as release: kube-prometheus-stack. Defaults to none.
	SelectorLabels map[string]string
	// Alerts are the rules. Required.
	Alerts []Alert
	// Target is the namespace and service an alert's Query is resolved
	// for. Required when an alert sets Query.
	Target queries.Target
}

// PrometheusRule is a group of alerting rules (monitoring.coreos.com/v1),
// each checked with Prometheus's own rule-file parser and PromQL parser.
type PrometheusRule struct {
	constructs.Construct
	// ApiObject is the PrometheusRule object.
	ApiObject cdk8s.ApiObject
	name      string
	alerts    []Alert
}

// promQL is the PromQL parser Prometheus uses, with its default functions
// and legacy (non-UTF-8) names.
var promQL = parser.NewParser(parser.Options{})

// NewPrometheusRule adds a PrometheusRule named id to scope.
func NewPrometheusRule(scope constructs.Construct, id string, props PrometheusRuleProps) *PrometheusRule {
	r := &PrometheusRule{Construct: newConstruct(scope, id), alerts: slices.Clone(props.Alerts)}
	r.name = cmp.Or(props.Name, id)
	var errs problems
	validateObjectName(&errs, "name", r.name)
	if len(props.Alerts) == 0 {
		errs.addf("alerts", "at least one alert is required")
	}
	// Resolve the alerts that name a query; one that names none known is
	// reported once, as its query, not again as a missing expr.
	unresolved := map[int]bool{}
	for i := range r.alerts {
		a := &r.alerts[i]
		if a.Query == "" {
			continue
		}
		field := fmt.Sprintf("alerts[%d]", i)
		if a.Expr != "" {
			errs.addf(field, "set query (%q) or expr, not both", a.Query)
			unresolved[i] = true
			continue
		}
		expr, err := queries.Expr(a.Query, props.Target)
		if err != nil {
			errs.addf(field+".query", "%v", err)
			unresolved[i] = true
			continue
		}
		a.Expr = expr
	}
	// The alerts' own checks (PromQL's parser above all) and then, if
	// they pass, the whole group through Prometheus's own rule-file
	// loader, as Prometheus loads what the operator writes, are the
	// costliest checks of a chart (the loader's template tests above
	// all). They run on another goroutine, and their problems join the
	// construct, after those found above, before the app is validated
	// (see addProblemsLater).
	addProblemsLater(r.Construct, func() []string {
		names := map[string]int{}
		for i, a := range r.alerts {
			validateAlert(&errs, fmt.Sprintf("alerts[%d]", i), a, !unresolved[i], props.Target.Service, props.Target.Namespace, r.name)
			if j, dup := names[a.Name+"\x00"+a.Severity]; dup {
				errs.addf(fmt.Sprintf("alerts[%d].name", i), "%q with severity %s duplicates alerts[%d]", a.Name, a.Severity, j)
			}
			names[a.Name+"\x00"+a.Severity] = i
		}
		if len(errs) > 0 {
			return errs
		}
		if ruleShapeLoads(r) {
			return nil
		}
		for _, e := range loadRuleFile(r.RuleFile()) {
			errs.addf("alerts", "%v", e)
		}
		return errs
	})
	labels := props.Labels.Map()
	maps.Copy(labels, props.SelectorLabels)
	r.ApiObject = NewTypedObject(r.Construct, "resource", &monitoringv1.PrometheusRule{
		ObjectMeta: metav1.ObjectMeta{Name: r.name, Labels: labels},
		Spec:       monitoringv1.PrometheusRuleSpec{Groups: []monitoringv1.RuleGroup{r.group()}},
	})
	return r
}

func (r *PrometheusRule) group() monitoringv1.RuleGroup {
	g := monitoringv1.RuleGroup{Name: r.name}
	for _, a := range r.alerts {
		rule := monitoringv1.Rule{
			Alert:       a.Name,
			Expr:        intstr.FromString(a.Expr),
			Labels:      a.labels(),
			Annotations: a.annotations(),
		}
		if a.For != "" {
			d := monitoringv1.Duration(a.For)
			rule.For = &d
		}
		g.Rules = append(g.Rules, rule)
	}
	return g
}

func (a Alert) annotations() map[string]string {
	return map[string]string{"summary": a.Summary, "description": a.Description, "runbook_url": a.RunbookURL}
}

func (a Alert) labels() map[string]string {
	l := maps.Clone(a.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l["severity"] = a.Severity
	return l
}

// RuleFile returns the group as a Prometheus rule file, the form
// `promtool check rules` and `promtool test rules` read.
func (r *PrometheusRule) RuleFile() []byte {
	// The operator writes the spec's groups as the rule file, unchanged.
	out, err := yaml.Marshal(monitoringv1.PrometheusRuleSpec{Groups: []monitoringv1.RuleGroup{r.group()}})
	if err != nil {
		panic(fmt.Sprintf("constructs: rule file: %v", err))
	}
	return out
}

// RuleFile returns the rule file of the PrometheusRule that
// NewPrometheusRule builds of p, whose Name must be set; it needs no
// construct.
func (p PrometheusRuleProps) RuleFile() []byte {
	return (&PrometheusRule{name: p.Name, alerts: p.Alerts}).RuleFile()
}

// validateAlert checks one alert with Prometheus's parsers.
// checkExpr is false when the expr is already reported (an unknown query).
// names are the DNS labels the expr may hold as label values (see
// exprParses).
func validateAlert(errs *problems, field string, a Alert, checkExpr bool, names ...string) {
	if !model.LegacyValidation.IsValidMetricName(a.Name) {
		errs.addf(field+".name", "%q is not a valid alert name", a.Name)
	}
	if !checkExpr {
		// reported with its query
	} else if strings.TrimSpace(a.Expr) == "" {
		errs.addf(field+".expr", "is required")
	} else if err := exprParses(a.Expr, names); err != nil {
		errs.addf(field+".expr", "does not parse: %v", err)
	}
	if a.For != "" {
		if _, err := model.ParseDuration(a.For); err != nil {
			errs.addf(field+".for", "%q is not a Prometheus duration such as 5m: %v", a.For, err)
		}
	}
	if a.Severity == "" {
		errs.addf(field+".severity", "is required: %s", strings.Join(Severities, ", "))
	} else if !slices.Contains(Severities, a.Severity) {
		errs.addf(field+".severity", "%q is not one of %s", a.Severity, strings.Join(Severities, ", "))
	}
	for _, f := range []struct{ name, value string }{{"summary", a.Summary}, {"description", a.Description}} {
		if strings.TrimSpace(f.value) == "" {
			errs.addf(field+"."+f.name, "is required")
		}
	}
	if a.RunbookURL == "" {
		errs.addf(field+".runbookURL", "is required")
	} else if u, err := url.Parse(a.RunbookURL); err != nil || u.Scheme != "https" || u.Host == "" {
		errs.addf(field+".runbookURL", "%q is not an absolute https URL", a.RunbookURL)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		if !model.LegacyValidation.IsValidLabelName(k) {
			errs.addf(fmt.Sprintf("%s.labels[%s]", field, k), "is not a valid label name")
		}
		if k == "severity" {
			errs.addf(fmt.Sprintf("%s.labels[%s]", field, k), "set Severity instead")
		}
	}
}

// loadRuleFile runs Prometheus's rule-file loader on file and returns its
// errors.
func loadRuleFile(file []byte) []error {
	_, errs := rulefmt.Parse(file, false, model.LegacyValidation, promQL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return errs
}

// ruleShapes remembers, by shape, the rule files the loader accepted. A
// shape is a rule group, as JSON, with its service's name taken out:
// every service of an environment gets the same alerts, and the name, a
// DNS label, only ever stands in quoted label values, regular expressions
// and template text, where any DNS label reads alike. So one service's
// rule file loading cleanly means every other of its shape does, and the
// loader (a third of a chart's Go time, in its template tests) runs once
// per shape. The shape is taken of the group, not of its rule file:
// writing the file as YAML cost more than loading it. A rule file the
// loader refuses is not remembered: each is loaded again, for problems
// that name its own alerts.
var ruleShapes sync.Map // shape -> *ruleShape

type ruleShape struct {
	once sync.Once
	ok   bool
}

// ruleShapeLoads reports whether a rule file of r's shape, its name taken
// out, is known to load cleanly, loading r's own when its shape is new.
func ruleShapeLoads(r *PrometheusRule) bool {
	if len(validation.IsDNS1035Label(r.name)) > 0 {
		return false
	}
	// In a template's action the name is code, not text: {{ $labels.web }}
	// parses, {{ $labels.my-svc }} does not.
	for _, a := range r.alerts {
		for _, m := range []map[string]string{a.annotations(), a.labels()} {
			for _, v := range m {
				if inTemplateAction(v, r.name) {
					return false
				}
			}
		}
	}
	group, err := json.Marshal(r.group())
	if err != nil {
		return false
	}
	shape := strings.ReplaceAll(string(group), r.name, "\x00")
	v, _ := ruleShapes.LoadOrStore(shape, &ruleShape{})
	rs := v.(*ruleShape)
	rs.once.Do(func() { rs.ok = len(loadRuleFile(r.RuleFile())) == 0 })
	return rs.ok
}

// inTemplateAction reports whether name stands inside one of text's
// template actions, between {{ and }} (or in an action left open).
func inTemplateAction(text, name string) bool {
	for {
		start := strings.Index(text, "{{")
		if start < 0 {
			return false
		}
		text = text[start+2:]
		end := strings.Index(text, "}}")
		if end < 0 {
			return strings.Contains(text, name)
		}
		if strings.Contains(text[:end], name) {
			return true
		}
		text = text[end+2:]
	}
}

// exprShapes remembers, by shape, the PromQL expressions that parse. A
// shape is an expression with each of the names given for it, DNS labels,
// taken out where it is a label matcher's value (="name", !="name",
// =~"name", !~"name"), and nowhere else. There, any DNS label reads alike
// to the parser: a string of letters, digits and hyphens, which is also a
// regular expression matching itself. An expression that holds one of
// its names anywhere else is parsed as it is, and so is one whose shape
// did not parse, for its own error.
var exprShapes sync.Map // shape -> *exprShape

type exprShape struct {
	once sync.Once
	err  error
}

// exprParses parses expr with PromQL's parser, once per shape (see
// exprShapes) among the expressions of the given names.
func exprParses(expr string, names []string) error {
	shape, ok := exprShapeOf(expr, names)
	if !ok {
		_, err := promQL.ParseExpr(expr)
		return err
	}
	v, _ := exprShapes.LoadOrStore(shape, &exprShape{})
	es := v.(*exprShape)
	es.once.Do(func() { _, es.err = promQL.ParseExpr(expr) })
	if es.err != nil {
		_, err := promQL.ParseExpr(expr)
		return err
	}
	return nil
}

// exprShapeOf returns expr's shape among names, or false when it has
// none: a name is not a DNS label, or stands somewhere other than a
// label matcher's value.
func exprShapeOf(expr string, names []string) (string, bool) {
	shape := expr
	for i, name := range names {
		if name == "" {
			continue
		}
		if len(validation.IsDNS1123Label(name)) > 0 {
			return "", false
		}
		hole := fmt.Sprintf("\x00%d\x00", i)
		for _, op := range []string{`!="`, `!~"`, `=~"`, `="`} {
			shape = strings.ReplaceAll(shape, op+name+`"`, op+hole+`"`)
		}
		if strings.Contains(shape, name) {
			return "", false
		}
	}
	return shape, true
}
