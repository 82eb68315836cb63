package synth_test

import (
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/decrypt"
	"github.com/getsops/sops/v3/version"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"sigs.k8s.io/yaml"
)

// TestSopsHelmSecretsFlow round-trips the helm-secrets flow: a values file
// is encrypted with sops for an age key generated here (no private key is
// ever committed), decrypted with the sops library as helm-secrets does at
// install, and used to render the dev chart with helm's SDK.
func TestSopsHelmSecretsFlow(t *testing.T) {
	identity, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	// A key the dev umbrella's values.schema.json admits (the names the
	// services are wired to, such as auth.username, it refuses to change).
	plain := []byte("postgresql:\n  auth:\n    password: correct-horse-battery-staple\n")

	// Encrypt, as `sops --encrypt --age <recipient>` does.
	store := common.StoreForFormat(formats.Yaml, config.NewStoresConfig())
	branches, err := store.LoadPlainFile(plain)
	require.NoError(t, err)
	key, err := sopsage.MasterKeyFromRecipient(identity.Recipient().String())
	require.NoError(t, err)
	tree := sops.Tree{Branches: branches, Metadata: sops.Metadata{KeyGroups: []sops.KeyGroup{{key}}, Version: version.Version}}
	dataKey, errs := tree.GenerateDataKey()
	require.Empty(t, errs)
	require.NoError(t, common.EncryptTree(common.EncryptTreeOpts{DataKey: dataKey, Tree: &tree, Cipher: aes.NewCipher()}))
	encrypted, err := store.EmitEncryptedFile(tree)
	require.NoError(t, err)
	assert.NotContains(t, string(encrypted), "correct-horse-battery-staple", "the value is encrypted")
	assert.Contains(t, string(encrypted), "ENC[AES256_GCM,")

	// Without the key it does not decrypt.
	t.Setenv(sopsage.SopsAgeKeyEnv, "")
	t.Setenv("SOPS_AGE_KEY_FILE", filepath.Join(t.TempDir(), "none"))
	_, err = decrypt.Data(encrypted, "yaml")
	require.Error(t, err)

	// With it, as helm-secrets runs `sops --decrypt` before helm.
	t.Setenv(sopsage.SopsAgeKeyEnv, identity.String())
	decrypted, err := decrypt.Data(encrypted, "yaml")
	require.NoError(t, err)
	var values map[string]any
	require.NoError(t, yaml.Unmarshal(decrypted, &values))
	assert.Equal(t, "correct-horse-battery-staple", values["postgresql"].(map[string]any)["auth"].(map[string]any)["password"])

	// And helm renders the dev chart with the decrypted values.
	dir := t.TempDir()
	writeCharts(t, dir, synthAll(t))
	chrt, err := loader.Load(filepath.Join(dir, "dev"))
	require.NoError(t, err)
	vals, err := chartutil.ToRenderValues(chrt, values, chartutil.ReleaseOptions{Name: "telepace-dev", Namespace: "telepace-dev", IsInstall: true}, &chartutil.Capabilities{KubeVersion: *kubeVersion(t), APIVersions: chartutil.DefaultVersionSet})
	require.NoError(t, err)
	got, err := vals.PathValue("Values.postgresql.auth.password")
	require.NoError(t, err)
	assert.Equal(t, "correct-horse-battery-staple", got, "the decrypted value overrides the chart's")
	rendered, err := engine.Render(chrt, vals)
	require.NoError(t, err)
	assert.True(t, strings.Contains(rendered["telepace-dev/templates/web.yaml"], "kind: Deployment"))
}
