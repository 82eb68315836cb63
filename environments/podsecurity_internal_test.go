package environments

import (
	"testing"

	"github.com/stretchr/testify/assert"
	psa "k8s.io/pod-security-admission/api"
)

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
