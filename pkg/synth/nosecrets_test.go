package synth_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/environments/environmentstest"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/synth"
)

// Patterns of secret values that must never be in a generated chart.
var secretPatterns = []struct {
	name string
	re   *regexp.Regexp
}{
	{"private key", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
	// A whole word: existingSecret: telepace-postgres names a Secret, and
	// is not one.
	// On one line: "password:" opening a nested mapping (as in a CRD's
	// schema) assigns nothing; and "=" binds tightly (PASSWORD=x), so prose
	// such as "SECRET = Secrets Manager" is not an assignment.
	{"password assignment", regexp.MustCompile(`(?i)\b(password|passwd|pwd|secret|api[_-]?key|token)(=|[ \t]*:[ \t]*)[^\s"'{}$,]{6,}`)},
	{"bearer token", regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._~+/-]{20,}`)},
	{"URL with credentials", regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@`)},
}

// allowedLongTokens are long strings that are not secrets: sha256
// checksums (checksum/config) and image digests, both lowercase hex; and
// the Go type paths upstream CRD schemas name (external-secrets.io/v1alpha1.CAProvider).
var allowedLongTokens = regexp.MustCompile(`^([0-9a-f]{64}|[a-z0-9.-]+\.[a-z]+/v[0-9]+(alpha[0-9]+|beta[0-9]+)?\.[A-Z][A-Za-z0-9]+)$`)

var tokenSplit = regexp.MustCompile(`[A-Za-z0-9+/=_.-]{32,}`)

// entropy is the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	counts := map[rune]float64{}
	for _, r := range s {
		counts[r]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		p := c / n
		h -= p * math.Log2(p)
	}
	return h
}

// secretFindings returns what in text looks like a secret value: a known
// pattern, or a high-entropy token of 32 or more characters that mixes
// upper case, lower case and digits and is not on the allow-list.
func secretFindings(text string) []string {
	var out []string
	for _, p := range secretPatterns {
		for _, m := range p.re.FindAllString(text, -1) {
			out = append(out, p.name+": "+m)
		}
	}
	for _, tok := range tokenSplit.FindAllString(text, -1) {
		if allowedLongTokens.MatchString(tok) {
			continue
		}
		upper := strings.ContainsFunc(tok, func(r rune) bool { return r >= 'A' && r <= 'Z' })
		lower := strings.ContainsFunc(tok, func(r rune) bool { return r >= 'a' && r <= 'z' })
		digit := strings.ContainsFunc(tok, func(r rune) bool { return r >= '0' && r <= '9' })
		if upper && lower && digit && entropy(tok) >= 4.0 {
			out = append(out, fmt.Sprintf("high-entropy string (%.1f bits/char): %s", entropy(tok), tok))
		}
	}
	return out
}

// TestNothingSecretInGit: no generated object is a Secret with data, and
// nothing in any object (ConfigMaps, env values, annotations, dashboards)
// looks like a secret value.
func TestNothingSecretInGit(t *testing.T) {
	for _, c := range synthAll(t) {
		for path, data := range c.Files {
			assert.Empty(t, secretFindings(string(data)), "%s/%s", c.Env, path)
		}
	}
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	for env, r := range resolved {
		for _, o := range r.Objects {
			if o.Kind != "Secret" {
				continue
			}
			var s struct {
				Data       map[string]any `json:"data"`
				StringData map[string]any `json:"stringData"`
			}
			require.NoError(t, yaml.Unmarshal(o.YAML, &s))
			assert.Empty(t, s.Data, "%s: Secret %s carries data", env, o.Name)
			assert.Empty(t, s.StringData, "%s: Secret %s carries stringData", env, o.Name)
		}
	}
}

// TestSecretScannerCatchesSecrets: the scanner above can fail, on each kind
// of secret, and passes what is allowed.
func TestSecretScannerCatchesSecrets(t *testing.T) {
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	apiKey := "sk" + strings.NewReplacer("+", "A", "/", "b", "=", "").Replace(base64.StdEncoding.EncodeToString(key)) + "9Z"
	for _, leak := range []string{
		"-----BEGIN OPENSSH PRIVATE KEY-----",
		"DATABASE_URL: postgres://app:hunter2hunter2@db:5432/app",
		"password=correcthorse",
		"Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345",
		"OPENAI_API_KEY: " + apiKey,
	} {
		assert.NotEmpty(t, secretFindings(leak), leak)
	}
	for _, fine := range []string{
		"checksum/config: 1cca5f5fa69fe0277d90a73d89048e548e3bcd75fcdf5f6401a59a12f162b35d",
		"image: ghcr.io/telepace/voiceflow@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"expr: sum(kube_deployment_status_replicas_available{namespace=\"telepace\"})",
		"name: VOICEFLOW_MINIO_SECRET_KEY\n  valueFrom:\n    secretKeyRef:\n      key: secret-key",
		"auth:\n  existingSecret: telepace-postgres\n  usersExistingSecret: telepace-redis",
		"properties:\n  password:\n    description: the key of the Secret",
		"description: see external-secrets.io/v1alpha1.CAProvider",
		"description: The secret retrieval type. SECRET = Secrets Manager",
	} {
		assert.Empty(t, secretFindings(fine), fine)
	}

	// And end to end: a key pasted into a setting is found in the chart.
	// (A setting named like a secret is refused outright; this one is not.)
	env := environmentstest.Customized(dev(), "web", func(p *pc.MicroserviceProps) { p.Config["VENDOR_SETTING"] = apiKey })
	charts, err := synth.Synthesize([]environments.Environment{env})
	require.NoError(t, err)
	assert.NotEmpty(t, secretFindings(string(charts[0].Files["templates/web.yaml"])))
}
