package constructs_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

func TestSealedSecretValidation(t *testing.T) {
	long := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 300)))
	tests := []struct {
		name  string
		props pc.SealedSecretProps
		want  []string
	}{
		{"ciphertext that is not base64", pc.SealedSecretProps{EncryptedData: map[string]string{"password": "not base64!"}}, []string{
			`[test/db] encryptedData[password]: is not base64 ciphertext: illegal base64 data at input byte 3; seal the value with ` + "`synth seal`",
		}},
		{"a plain value, base64-encoded", pc.SealedSecretProps{EncryptedData: map[string]string{"password": base64.StdEncoding.EncodeToString([]byte("hunter2"))}}, []string{
			`[test/db] encryptedData[password]: is 7 bytes, too short to be sealed; seal the value with ` + "`synth seal`" + `, never paste it in plain`,
		}},
		{"no data, bad scope", pc.SealedSecretProps{Scope: "global"}, []string{
			`[test/db] scope: "global" is not strict, namespace-wide or cluster-wide`,
			`[test/db] encryptedData: at least one key is required`,
		}},
		{"bad key", pc.SealedSecretProps{EncryptedData: map[string]string{"bad key": long}}, []string{
			`[test/db] encryptedData[bad key]: "bad key" is not a valid Secret key: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.props.Labels = pc.Labels{Name: "svc", Instance: "telepace-prod"}
			_, err := constructstest.Synth(func(chart constructs.Construct) { pc.NewSealedSecret(chart, "db", tt.props) })
			var verr *pc.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.want, verr.Problems)
		})
	}
}

// TestSealedSecretLeavesItsSecret: the unsealed Secret is not owned by the
// SealedSecret, so deleting the SealedSecret (an uninstall, a rollback)
// leaves the Secret under the pods that read it; the scope annotation and
// the labels a reader needs reach the Secret too.
func TestSealedSecretLeavesItsSecret(t *testing.T) {
	long := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 300)))
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) {
		pc.NewSealedSecret(chart, "partner-key", pc.SealedSecretProps{
			Labels: pc.Labels{Name: "secrets", Instance: "telepace-prod"}, Scope: "namespace-wide",
			EncryptedData: map[string]string{"key": long},
			SecretLabels:  map[string]string{pc.KongCredentialLabel: "key-auth"},
		})
	})
	template := constructstest.Find(objs, "SealedSecret", "partner-key")["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)
	assert.Equal(t, map[string]any{
		"sealedsecrets.bitnami.com/skip-set-owner-references": "true",
		"sealedsecrets.bitnami.com/managed":                   "true",
		"sealedsecrets.bitnami.com/namespace-wide":            "true",
	}, template["annotations"])
	assert.Equal(t, map[string]any{pc.KongCredentialLabel: "key-auth"}, template["labels"])
}

// TestSealedSecretStaysManaged: a Secret without an owner reference is
// updated by the Sealed Secrets controller only when it carries
// sealedsecrets.bitnami.com/managed: "true", so the template gives it
// that annotation whenever it skips the owner reference, in every scope;
// otherwise the controller creates the Secret once, then reports Synced=False
// ("already exists and is not managed by SealedSecret") and a re-sealed
// value never reaches it. test/e2e (TestRealOperators/sealed-secrets) proves it
// against the real controller.
func TestSealedSecretStaysManaged(t *testing.T) {
	long := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 300)))
	for _, scope := range []string{"", "strict", "namespace-wide", "cluster-wide"} {
		t.Run("scope="+scope, func(t *testing.T) {
			objs := constructstest.MustSynth(t, func(chart constructs.Construct) {
				pc.NewSealedSecret(chart, "db", pc.SealedSecretProps{
					Labels: pc.Labels{Name: "secrets", Instance: "telepace-prod"}, Scope: scope,
					EncryptedData: map[string]string{"password": long},
				})
			})
			ss := constructstest.Find(objs, "SealedSecret", "db")
			annotations, _ := ss["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["annotations"].(map[string]any)
			assert.Equal(t, "true", annotations["sealedsecrets.bitnami.com/skip-set-owner-references"], "spec.template.metadata.annotations")
			assert.Equal(t, "true", annotations["sealedsecrets.bitnami.com/managed"], "spec.template.metadata.annotations")
			// On the SealedSecret itself the controller reads neither.
			meta := ss["metadata"].(map[string]any)
			if a, ok := meta["annotations"].(map[string]any); ok {
				assert.NotContains(t, a, "sealedsecrets.bitnami.com/managed", "metadata.annotations")
			}
		})
	}
}
