package constructs_test

import (
	"testing"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

var secretLabels = pc.Labels{Name: "secrets", Instance: "telepace-prod"}

func TestExternalSecretValidation(t *testing.T) {
	tests := []struct {
		name  string
		props func(store *pc.SecretStore, gen *pc.PasswordGenerator) pc.ExternalSecretProps
		want  []string
	}{
		{"no keys at all", func(*pc.SecretStore, *pc.PasswordGenerator) pc.ExternalSecretProps {
			return pc.ExternalSecretProps{}
		}, []string{`[test/db] keys: the Secret gets no keys: set keys, extract or generated`}},
		{"store keys without a store or an interval", func(*pc.SecretStore, *pc.PasswordGenerator) pc.ExternalSecretProps {
			return pc.ExternalSecretProps{Keys: []pc.RemoteKey{{Key: "password", Remote: "prod-db-password"}}}
		}, []string{
			`[test/db] store: is required to read keys or extract from a store`,
			`[test/db] refreshInterval: is required when values are read from a store`,
		}},
		{"keys filled twice, bad remote names", func(store *pc.SecretStore, gen *pc.PasswordGenerator) pc.ExternalSecretProps {
			return pc.ExternalSecretProps{
				Store: store, RefreshInterval: time.Hour,
				Keys:      []pc.RemoteKey{{Key: "password", Remote: "prod db password"}, {Key: "user", Remote: ""}},
				Extract:   "prod:db",
				Generated: []pc.GeneratedKey{{Key: "password", Generator: gen}, {Key: "other"}},
			}
		}, []string{
			`[test/db] generated: generated passwords are created once, store values are read again and again; a Secret of both would get new passwords at every refresh, so make them two Secrets`,
			`[test/db] keys[0].remote: "prod db password" is not a store key (letters, digits, '-', '_', '.' and '/')`,
			`[test/db] keys[1].remote: "" is not a store key (letters, digits, '-', '_', '.' and '/')`,
			`[test/db] extract: "prod:db" is not a store key (letters, digits, '-', '_', '.' and '/')`,
			`[test/db] generated[0].key: "password" is already filled by keys[0].key`,
			`[test/db] generated[1].generator: is required`,
		}},
		{"a generated Secret is never refreshed", func(_ *pc.SecretStore, gen *pc.PasswordGenerator) pc.ExternalSecretProps {
			return pc.ExternalSecretProps{Generated: []pc.GeneratedKey{{Key: "password", Generator: gen}}, RefreshInterval: time.Minute}
		}, []string{`[test/db] refreshInterval: generated passwords are created once and never refreshed; leave it unset`}},
		{"values that are secrets or templates, labels that are not labels", func(_ *pc.SecretStore, gen *pc.PasswordGenerator) pc.ExternalSecretProps {
			return pc.ExternalSecretProps{
				Generated:    []pc.GeneratedKey{{Key: "password", Generator: gen}},
				Values:       map[string]string{"admin-password": "hunter2", "user": "{{ .password }}"},
				SecretLabels: map[string]string{"konghq.com/credential": "key auth"},
			}
		}, []string{
			`[test/db] values[admin-password]: a key named like a secret must be generated or read from a store, never written in git`,
			`[test/db] values[user]: holds {{, which the operator would read as a template`,
			`[test/db] secretLabels[konghq.com/credential]: "key auth" is not a valid label value: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := constructstest.Synth(func(chart constructs.Construct) {
				store := pc.NewSecretStore(chart, "store", pc.SecretStoreProps{Labels: secretLabels, GoogleSecretManager: &pc.GoogleSecretManager{
					ProjectID: "telepace-prod", ServiceAccount: "external-secrets@telepace-prod.iam.gserviceaccount.com",
				}})
				gen := pc.NewPasswordGenerator(chart, "password", pc.PasswordGeneratorProps{Labels: secretLabels})
				props := tt.props(store, gen)
				props.Labels = secretLabels
				pc.NewExternalSecret(chart, "db", props)
			})
			var verr *pc.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.want, verr.Problems)
		})
	}
}

func TestSecretStoreValidation(t *testing.T) {
	tests := []struct {
		name  string
		props pc.SecretStoreProps
		want  []string
	}{
		{"no provider", pc.SecretStoreProps{}, []string{`[test/store] provider: set exactly one of googleSecretManager and kubernetes`}},
		{"two providers", pc.SecretStoreProps{GoogleSecretManager: &pc.GoogleSecretManager{}, Kubernetes: &pc.KubernetesSecrets{}}, []string{
			`[test/store] provider: set exactly one of googleSecretManager and kubernetes`,
		}},
		{"a project and account that are not Google's", pc.SecretStoreProps{GoogleSecretManager: &pc.GoogleSecretManager{ProjectID: "Telepace", ServiceAccount: "eso@example.com"}}, []string{
			`[test/store] googleSecretManager.projectID: "Telepace" is not a Google Cloud project ID (6 to 30 lower-case letters, digits and hyphens)`,
			`[test/store] googleSecretManager.serviceAccount: "eso@example.com" is not a Google service account address (name@project.iam.gserviceaccount.com)`,
		}},
		{"a Kubernetes store that may read anything", pc.SecretStoreProps{Kubernetes: &pc.KubernetesSecrets{Namespace: "telepace-dev"}}, []string{
			`[test/store] kubernetes.secrets: name at least one Secret the store may read`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.props.Labels = secretLabels
			_, err := constructstest.Synth(func(chart constructs.Construct) { pc.NewSecretStore(chart, "store", tt.props) })
			var verr *pc.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.want, verr.Problems)
		})
	}
}

// TestSecretStoreIdentity: a Google store authenticates as its own
// ServiceAccount, bound by annotation to the Google account and without a
// mounted token; a Kubernetes store's Role reads only the Secrets it names.
func TestSecretStoreIdentity(t *testing.T) {
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) {
		pc.NewSecretStore(chart, "gsm", pc.SecretStoreProps{Labels: secretLabels, GoogleSecretManager: &pc.GoogleSecretManager{
			ProjectID: "telepace-prod", ServiceAccount: "external-secrets@telepace-prod.iam.gserviceaccount.com",
		}})
		pc.NewSecretStore(chart, "dev", pc.SecretStoreProps{Labels: secretLabels, Kubernetes: &pc.KubernetesSecrets{
			Namespace: "telepace-dev", Secrets: []string{"dev-b", "dev-a"},
		}})
	})
	assert.Equal(t, []string{"ServiceAccount/gsm", "SecretStore/gsm", "ServiceAccount/dev", "Role/dev", "RoleBinding/dev", "SecretStore/dev"}, constructstest.Kinds(objs))
	sa := constructstest.Find(objs, "ServiceAccount", "gsm")
	assert.Equal(t, "external-secrets@telepace-prod.iam.gserviceaccount.com", sa["metadata"].(map[string]any)["annotations"].(map[string]any)[pc.GoogleServiceAccountAnnotation])
	assert.Equal(t, false, sa["automountServiceAccountToken"])
	store := constructstest.Find(objs, "SecretStore", "gsm")["spec"].(map[string]any)["provider"].(map[string]any)["gcpsm"].(map[string]any)
	assert.Equal(t, "gsm", store["auth"].(map[string]any)["workloadIdentity"].(map[string]any)["serviceAccountRef"].(map[string]any)["name"])
	role := constructstest.Find(objs, "Role", "dev")
	assert.Equal(t, []any{map[string]any{
		"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": []any{"get"}, "resourceNames": []any{"dev-a", "dev-b"},
	}}, role["rules"], "read-only, and only the named Secrets")
}

// TestExternalSecretPolicies: store values refresh periodically, generated
// passwords are created once, and Retain orphans the Secret so deleting the
// ExternalSecret never deletes it.
func TestExternalSecretPolicies(t *testing.T) {
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) {
		store := pc.NewSecretStore(chart, "store", pc.SecretStoreProps{Labels: secretLabels, Kubernetes: &pc.KubernetesSecrets{Namespace: "telepace-dev", Secrets: []string{"dev-api"}}})
		gen := pc.NewPasswordGenerator(chart, "password", pc.PasswordGeneratorProps{Labels: secretLabels})
		pc.NewExternalSecret(chart, "api", pc.ExternalSecretProps{Labels: secretLabels, Store: store, RefreshInterval: 15 * time.Minute,
			Keys: []pc.RemoteKey{{Key: "token", Remote: "dev-api", Property: "token"}}})
		pc.NewExternalSecret(chart, "db", pc.ExternalSecretProps{Labels: secretLabels, Retain: true,
			Generated: []pc.GeneratedKey{{Key: "postgres-password", Generator: gen}}, Values: map[string]string{"postgres-username": "telepace"}})
	})
	api := constructstest.Find(objs, "ExternalSecret", "api")["spec"].(map[string]any)
	assert.Equal(t, "Periodic", api["refreshPolicy"])
	assert.Equal(t, "15m0s", api["refreshInterval"])
	assert.Equal(t, "Owner", api["target"].(map[string]any)["creationPolicy"])
	db := constructstest.Find(objs, "ExternalSecret", "db")["spec"].(map[string]any)
	assert.Equal(t, "CreatedOnce", db["refreshPolicy"])
	assert.NotContains(t, db, "refreshInterval")
	assert.Equal(t, "Orphan", db["target"].(map[string]any)["creationPolicy"])
	assert.Equal(t, "Retain", db["target"].(map[string]any)["deletionPolicy"])
	secretLabels := db["target"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any)
	assert.Equal(t, "external-secrets", secretLabels[pc.LabelManagedBy], "the Secret is the operator's")
	assert.NotContains(t, secretLabels, pc.LabelInstance, "Argo CD's label tracking would prune a Secret with the instance label")
	gen := constructstest.Find(objs, "Password", "password")["spec"].(map[string]any)
	assert.Equal(t, float64(0), gen["symbols"], "no symbols: passwords go unquoted into URLs and DSNs")
	assert.GreaterOrEqual(t, gen["length"], float64(pc.MinPasswordLength))
}
