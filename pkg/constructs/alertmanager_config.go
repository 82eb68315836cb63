package constructs

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
)

// SecretKey names one key of a Secret, for a credential that must never be
// written into the chart.
type SecretKey struct {
	// Name is the Secret's name. Required.
	Name string
	// Key is the key in the Secret. Required.
	Key string
}

// Receiver is where Alertmanager sends alerts. Set at most one of
// PagerDuty and Slack; with neither, alerts routed to the receiver stay in
// Alertmanager's own UI and Grafana, and go nowhere else.
type Receiver struct {
	// Name names the receiver. Required.
	Name string
	// PagerDuty pages through PagerDuty's Events API v2; the Secret holds
	// the routing key.
	PagerDuty *SecretKey
	// Slack posts to a Slack incoming webhook; the Secret holds its URL.
	Slack *SecretKey
	// Channel is the Slack channel. Defaults to the webhook's own.
	Channel string
}

// SeverityRoute sends alerts of some severities to a receiver.
type SeverityRoute struct {
	// Severities are matched against the alert's severity label. Required.
	Severities []string
	// Receiver names a receiver. Required.
	Receiver string
}

// AlertmanagerConfigProps configures an AlertmanagerConfig: alerts routed
// by severity.
type AlertmanagerConfigProps struct {
	// Name is the object's name. Defaults to the construct id.
	Name string
	// Labels are the object's recommended labels. Required.
	Labels Labels
	// SelectorLabels are the labels the environment's Alertmanager selects
	// configs by. Defaults to none.
	SelectorLabels map[string]string
	// Receivers are the destinations. Required.
	Receivers []Receiver
	// Routes are tried in order; the first that matches wins. Required.
	Routes []SeverityRoute
	// Default receives what no route matches. Required.
	Default string
}

// AlertmanagerConfig routes the release namespace's alerts
// (monitoring.coreos.com/v1alpha1). Receiver credentials come from Secrets
// by reference.
type AlertmanagerConfig struct {
	constructs.Construct
	// ApiObject is the AlertmanagerConfig object.
	ApiObject cdk8s.ApiObject
	secrets   []SecretReference
}

// NewAlertmanagerConfig adds an AlertmanagerConfig named id to scope.
func NewAlertmanagerConfig(scope constructs.Construct, id string, props AlertmanagerConfigProps) *AlertmanagerConfig {
	a := &AlertmanagerConfig{Construct: newConstruct(scope, id)}
	name := cmp.Or(props.Name, id)
	var errs problems
	validateObjectName(&errs, "name", name)
	receivers := map[string]bool{}
	spec := monitoringv1alpha1.AlertmanagerConfigSpec{}
	for i, r := range props.Receivers {
		field := fmt.Sprintf("receivers[%d]", i)
		if r.Name == "" || receivers[r.Name] {
			errs.addf(field+".name", "%q is empty or used twice", r.Name)
		}
		receivers[r.Name] = true
		rcv := monitoringv1alpha1.Receiver{Name: r.Name}
		switch {
		case r.PagerDuty != nil && r.Slack != nil:
			errs.addf(field, "set at most one of pagerDuty and slack")
		case r.PagerDuty == nil && r.Slack == nil:
			if r.Channel != "" {
				errs.addf(field+".channel", "only a Slack receiver has a channel")
			}
		case r.PagerDuty != nil:
			validateSecretKey(&errs, field+".pagerDuty", *r.PagerDuty)
			a.secrets = append(a.secrets, SecretReference{Secret: r.PagerDuty.Name, Key: r.PagerDuty.Key, Field: field + ".pagerDuty"})
			rcv.PagerDutyConfigs = []monitoringv1alpha1.PagerDutyConfig{{RoutingKey: r.PagerDuty.selector(), SendResolved: ptr.To(true)}}
		default:
			validateSecretKey(&errs, field+".slack", *r.Slack)
			a.secrets = append(a.secrets, SecretReference{Secret: r.Slack.Name, Key: r.Slack.Key, Field: field + ".slack"})
			sc := monitoringv1alpha1.SlackConfig{APIURL: r.Slack.selector(), SendResolved: ptr.To(true)}
			if strings.ContainsAny(r.Channel, "\n\r\t ") {
				errs.addf(field+".channel", "%q holds whitespace; a Slack channel is one word such as #alerts", r.Channel)
			}
			if r.Channel != "" {
				sc.Channel = ptr.To(r.Channel)
			}
			rcv.SlackConfigs = []monitoringv1alpha1.SlackConfig{sc}
		}
		spec.Receivers = append(spec.Receivers, rcv)
	}
	if !receivers[props.Default] {
		errs.addf("default", "%q names no receiver", props.Default)
	}
	spec.Route = &monitoringv1alpha1.Route{Receiver: props.Default, GroupBy: []string{"alertname", "service"}}
	for i, r := range props.Routes {
		field := fmt.Sprintf("routes[%d]", i)
		if !receivers[r.Receiver] {
			errs.addf(field+".receiver", "%q names no receiver", r.Receiver)
		}
		if len(r.Severities) == 0 {
			errs.addf(field+".severities", "at least one severity is required")
		}
		for j, s := range r.Severities {
			if !slices.Contains(Severities, s) {
				errs.addf(fmt.Sprintf("%s.severities[%d]", field, j), "%q is not one of %s", s, strings.Join(Severities, ", "))
			}
		}
		child := monitoringv1alpha1.Route{
			Receiver: r.Receiver,
			Matchers: []monitoringv1alpha1.Matcher{{Name: "severity", Value: "^(" + strings.Join(r.Severities, "|") + ")$", MatchType: monitoringv1alpha1.MatchRegexp}},
		}
		raw, err := json.Marshal(child)
		if err != nil {
			panic(fmt.Sprintf("constructs: route: %v", err))
		}
		spec.Route.Routes = append(spec.Route.Routes, apiextensionsv1.JSON{Raw: raw})
	}
	AddProblems(a.Construct, errs...)
	labels := props.Labels.Map()
	maps.Copy(labels, props.SelectorLabels)
	a.ApiObject = NewTypedObject(a.Construct, "resource", &monitoringv1alpha1.AlertmanagerConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       spec,
	})
	return a
}

func (k SecretKey) selector() *corev1.SecretKeySelector {
	return &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: k.Name}, Key: k.Key}
}

func validateSecretKey(errs *problems, field string, k SecretKey) {
	if msgs := validation.IsDNS1123Subdomain(k.Name); len(msgs) > 0 {
		errs.addf(field+".name", "%q is not a valid Secret name: %s", k.Name, strings.Join(msgs, "; "))
	}
	if msgs := validation.IsConfigMapKey(k.Key); len(msgs) > 0 {
		errs.addf(field+".key", "%q is not a valid Secret key: %s", k.Key, strings.Join(msgs, "; "))
	}
}
