package constructs_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

func TestEgressTo(t *testing.T) {
	port := []pc.EgressPort{{Port: 5432}}
	tests := []struct {
		host, cidr string
		want       pc.EgressRule
	}{
		{"postgresql", "", pc.EgressRule{Name: "db", Ports: port}},
		{"otel-collector.monitoring.svc", "", pc.EgressRule{Name: "db", Namespace: "monitoring", Ports: port}},
		{"otel-collector.monitoring.svc.cluster.local", "", pc.EgressRule{Name: "db", Namespace: "monitoring", Ports: port}},
		{"telepace.cc.", "", pc.EgressRule{Name: "db", CIDR: "0.0.0.0/0", Ports: port}},
		{"api.telepace.cc", "", pc.EgressRule{Name: "db", CIDR: "0.0.0.0/0", Ports: port}},
		{"postgres.prod.telepace.internal", "", pc.EgressRule{Name: "db", CIDR: "0.0.0.0/0", Ports: port}},
		{"postgres.prod.telepace.internal", "10.20.0.0/24", pc.EgressRule{Name: "db", CIDR: "10.20.0.0/24", Ports: port}},
		{"10.1.2.3", "", pc.EgressRule{Name: "db", CIDR: "10.1.2.3/32", Ports: port}},
		{"fd00::1", "", pc.EgressRule{Name: "db", CIDR: "fd00::1/128", Ports: port}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, pc.EgressTo("db", tt.host, 5432, tt.cidr), tt.host)
	}
}

// TestEgressToDoesNotGuess: "name.namespace" is a Service's short name and
// the form of a public name; the rule asks which, naming both forms. An
// empty host, or a .svc name of another shape, is refused too.
func TestEgressToDoesNotGuess(t *testing.T) {
	for _, host := range []string{"otel-collector.monitoring", "api.ai", "telepace.cc", "", "api.svc", "a.b.c.svc"} {
		_, err := constructstest.Synth(func(chart constructs.Construct) {
			pc.NewMicroservice(chart, "web", pc.MicroserviceProps{
				Image: pc.ImageRef("ghcr.io/telepace/web", "v1.0.0"), Environment: "prod",
				Ports:     []pc.Port{{Name: "http", Port: 8080}},
				Resources: pc.Resources{CPU: pc.ResourceRange{Request: "100m", Limit: "1"}, Memory: pc.ResourceRange{Request: "128Mi", Limit: "256Mi"}},
				Egress:    []pc.EgressRule{pc.EgressTo("thing", host, 443, "")},
			})
		})
		name, namespace, _ := strings.Cut(host, ".")
		want := fmt.Sprintf(`[test/web] egress[0]: host %q could be Service %s in namespace %s or a name outside the cluster; write %q for the Service, or %q, with a trailing dot, for the name outside`,
			host, name, namespace, host+".svc", host+".")
		switch {
		case host == "":
			want = `[test/web] egress[0]: the host is empty`
		case strings.HasSuffix(host, ".svc"):
			want = fmt.Sprintf(`[test/web] egress[0]: host %q is not name.namespace.svc`, host)
		}
		var verr *pc.ValidationError
		if assert.ErrorAs(t, err, &verr, host) {
			assert.Equal(t, []string{want}, verr.Problems)
		}
	}
}

// TestEgressRuleNameIsALabel: a rule's name is drawn in the chart
// README's diagram, so it is a DNS label, not any text.
func TestEgressRuleNameIsALabel(t *testing.T) {
	_, err := constructstest.Synth(func(chart constructs.Construct) {
		pc.NewMicroservice(chart, "web", pc.MicroserviceProps{
			Image: pc.ImageRef("ghcr.io/telepace/web", "v1.0.0"), Environment: "prod",
			Ports:     []pc.Port{{Name: "http", Port: 8080}},
			Resources: pc.Resources{CPU: pc.ResourceRange{Request: "100m", Limit: "1"}, Memory: pc.ResourceRange{Request: "128Mi", Limit: "256Mi"}},
			Egress:    []pc.EgressRule{pc.EgressTo("a\nb", "postgresql", 5432, "")},
		})
	})
	var verr *pc.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Problems, 1)
	assert.True(t, strings.HasPrefix(verr.Problems[0], `[test/web] egress[0].name: "a\nb" is not a DNS label (it names the rule in the chart README): `), verr.Problems[0])
}
