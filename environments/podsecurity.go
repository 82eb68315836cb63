package environments

import (
	"fmt"

	psa "k8s.io/pod-security-admission/api"
)

// PodSecurityVersion is the version of the Pod Security Standards every
// environment's namespace enforces: the oldest Kubernetes release the
// charts support (synth.KubeVersion), so that a pod is judged by the same
// rules on every cluster the charts can run on, and a cluster upgrade that
// tightens a standard does not start rejecting pods overnight. Warnings
// and audit annotations use the latest version, so such a tightening shows
// up before the pin moves.
const PodSecurityVersion = "v1.30"

// PodSecurity is the Pod Security admission of an environment's namespace
// (https://kubernetes.io/docs/concepts/security/pod-security-admission/):
// the level the apiserver enforces, pinned to PodSecurityVersion, with
// warnings and audit annotations always at restricted, latest. Argo CD
// sets it as the namespace's labels (managedNamespaceMetadata), the chart
// README prints it, and the e2e tests label their namespaces with it.
type PodSecurity struct {
	// Enforce is the level the apiserver enforces: a pod that breaks it is
	// rejected. Required; restricted wherever every pod in the namespace
	// meets it.
	Enforce psa.Level
	// Why says why Enforce is below restricted: which pods need more, and
	// what. Required then, shown in the chart README; empty at restricted.
	Why string
}

// Labels returns the namespace labels of p: the enforced level pinned to
// PodSecurityVersion, and warn and audit at restricted, latest.
func (p PodSecurity) Labels() map[string]string {
	return map[string]string{
		psa.EnforceLevelLabel:   string(p.Enforce),
		psa.EnforceVersionLabel: PodSecurityVersion,
		psa.WarnLevelLabel:      string(psa.LevelRestricted),
		psa.WarnVersionLabel:    psa.VersionLatest,
		psa.AuditLevelLabel:     string(psa.LevelRestricted),
		psa.AuditVersionLabel:   psa.VersionLatest,
	}
}

// EnforcedLevel returns the level and version the apiserver enforces, as
// the Pod Security admission library evaluates pods against.
func (p PodSecurity) EnforcedLevel() psa.LevelVersion {
	v, err := psa.ParseVersion(PodSecurityVersion)
	if err != nil {
		panic(fmt.Sprintf("PodSecurityVersion %q: %v", PodSecurityVersion, err)) // a programmer error, caught by every test
	}
	return psa.LevelVersion{Level: p.Enforce, Version: v}
}
