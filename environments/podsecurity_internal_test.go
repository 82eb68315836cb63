package environments

import (
	"testing"

	"github.com/stretchr/testify/assert"
	psa "k8s.io/pod-security-admission/api"
)

func TestPodSecurityProblems(t *testing.T) {
	tests := []struct {
		name string
		ps   PodSecurity
		want []string
	}{
		{"restricted", PodSecurity{Enforce: psa.LevelRestricted}, nil},
		{"baseline with a reason", PodSecurity{Enforce: psa.LevelBaseline, Why: "x needs y"}, nil},
		{"missing", PodSecurity{}, []string{"podSecurity.enforce: is required: restricted, baseline or privileged"}},
		{"unknown", PodSecurity{Enforce: "Restricted"}, []string{`podSecurity.enforce: "Restricted" is not a Pod Security level: restricted, baseline or privileged`}},
		{"baseline without a reason", PodSecurity{Enforce: psa.LevelBaseline}, []string{"podSecurity.why: enforcing baseline, below restricted, needs the reason: which pods need it, and what"}},
		{"restricted with a reason", PodSecurity{Enforce: psa.LevelRestricted, Why: "x"}, []string{"podSecurity.why: restricted needs no reason; leave it empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.ps.problems())
		})
	}
}

// TestPodSecurityLabels: the enforced level pinned to PodSecurityVersion,
// warn and audit at restricted, latest; and the level the library
// evaluates is the one enforced.
func TestPodSecurityLabels(t *testing.T) {
	ps := PodSecurity{Enforce: psa.LevelBaseline, Why: "x"}
	assert.Equal(t, map[string]string{
		"pod-security.kubernetes.io/enforce":         "baseline",
		"pod-security.kubernetes.io/enforce-version": PodSecurityVersion,
		"pod-security.kubernetes.io/warn":            "restricted",
		"pod-security.kubernetes.io/warn-version":    "latest",
		"pod-security.kubernetes.io/audit":           "restricted",
		"pod-security.kubernetes.io/audit-version":   "latest",
	}, ps.Labels())
	assert.Equal(t, "baseline:"+PodSecurityVersion, ps.EnforcedLevel().String())
}
