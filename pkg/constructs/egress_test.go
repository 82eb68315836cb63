package constructs_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	pc "github.com/telepace/platform-charts/pkg/constructs"
)

func TestEgressTo(t *testing.T) {
	port := []pc.EgressPort{{Port: 5432}}
	tests := []struct {
		host, cidr string
		want       pc.EgressRule
	}{
		{"postgresql", "", pc.EgressRule{Name: "db", Ports: port}},
		{"otel-collector.monitoring", "", pc.EgressRule{Name: "db", Namespace: "monitoring", Ports: port}},
		{"otel-collector.monitoring.svc", "", pc.EgressRule{Name: "db", Namespace: "monitoring", Ports: port}},
		{"otel-collector.monitoring.svc.cluster.local", "", pc.EgressRule{Name: "db", Namespace: "monitoring", Ports: port}},
		{"telepace.cc", "", pc.EgressRule{Name: "db", CIDR: "0.0.0.0/0", Ports: port}},
		{"postgres.prod.telepace.internal", "", pc.EgressRule{Name: "db", CIDR: "0.0.0.0/0", Ports: port}},
		{"postgres.prod.telepace.internal", "10.20.0.0/24", pc.EgressRule{Name: "db", CIDR: "10.20.0.0/24", Ports: port}},
		{"10.1.2.3", "", pc.EgressRule{Name: "db", CIDR: "10.1.2.3/32", Ports: port}},
		{"fd00::1", "", pc.EgressRule{Name: "db", CIDR: "fd00::1/128", Ports: port}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, pc.EgressTo("db", tt.host, 5432, tt.cidr), tt.host)
	}
}
