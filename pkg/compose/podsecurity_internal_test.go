package compose

import (
	"testing"

	"github.com/stretchr/testify/assert"
	psa "k8s.io/pod-security-admission/api"

	"github.com/telepace/platform-charts/environments"
)

func TestPodSecurityProblems(t *testing.T) {
	tests := []struct {
		name string
		ps   environments.PodSecurity
		want []string
	}{
		{"restricted", environments.PodSecurity{Enforce: psa.LevelRestricted}, nil},
		{"baseline with a reason", environments.PodSecurity{Enforce: psa.LevelBaseline, Why: "x needs y"}, nil},
		{"missing", environments.PodSecurity{}, []string{"podSecurity.enforce: is required: restricted, baseline or privileged"}},
		{"unknown", environments.PodSecurity{Enforce: "Restricted"}, []string{`podSecurity.enforce: "Restricted" is not a Pod Security level: restricted, baseline or privileged`}},
		{"baseline without a reason", environments.PodSecurity{Enforce: psa.LevelBaseline}, []string{"podSecurity.why: enforcing baseline, below restricted, needs the reason: which pods need it, and what"}},
		{"restricted with a reason", environments.PodSecurity{Enforce: psa.LevelRestricted, Why: "x"}, []string{"podSecurity.why: restricted needs no reason; leave it empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, messages(podSecurityProblems(tt.ps)))
		})
	}
}

// messages returns the problems' messages, or nil.
func messages(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Message)
	}
	return out
}
