package synth

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/jsii-runtime-go"
	ssv1alpha1 "github.com/bitnami/sealed-secrets/pkg/apis/sealedsecrets/v1alpha1"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// TestPlaintextSecretsAreRefused adds Secrets with values to a chart the
// way any construct could, through the typed-object path and through a
// raw cdk8s ApiObject, and expects each to be named by construct path and
// field; a Secret without data (a service account token request, say) and
// a SealedSecret without plain template data pass.
func TestPlaintextSecretsAreRefused(t *testing.T) {
	outdir := t.TempDir()
	app := cdk8s.NewApp(&cdk8s.AppProps{Outdir: jsii.String(outdir), YamlOutputType: cdk8s.YamlOutputType_FILE_PER_CHART})
	chart := cdk8s.NewChart(app, jsii.String("dev"), &cdk8s.ChartProps{DisableResourceNameHashes: jsii.Bool(true)})
	pc.NewTypedObject(chart, "typed", &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "typed"},
		StringData: map[string]string{"password": "hunter2"},
	})
	raw := cdk8s.NewApiObject(chart, jsii.String("raw"), &cdk8s.ApiObjectProps{
		ApiVersion: jsii.String("v1"), Kind: jsii.String("Secret"),
		Metadata: &cdk8s.ApiObjectMetadata{Name: jsii.String("raw")},
	})
	raw.AddJsonPatch(cdk8s.JsonPatch_Add(jsii.String("/data"), map[string]string{"token": "aHVudGVyMg=="}))
	pc.NewTypedObject(chart, "sealed", &ssv1alpha1.SealedSecret{
		ObjectMeta: metav1.ObjectMeta{Name: "sealed"},
		Spec: ssv1alpha1.SealedSecretSpec{
			EncryptedData: map[string]string{"a": "AgB="},
			Template:      ssv1alpha1.SecretTemplateSpec{Data: map[string]*string{"url": ptr.To("https://user:pw@example.com")}},
		},
	})
	pc.NewTypedObject(chart, "empty", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "empty"}, Type: corev1.SecretTypeServiceAccountToken})
	pc.NewTypedObject(chart, "fine", &ssv1alpha1.SealedSecret{
		ObjectMeta: metav1.ObjectMeta{Name: "fine"},
		Spec:       ssv1alpha1.SealedSecretSpec{EncryptedData: map[string]string{"a": "AgB="}},
	})
	app.Synth()
	raw2, err := os.ReadFile(filepath.Join(outdir, "dev.k8s.yaml"))
	require.NoError(t, err)
	objs, err := splitObjects(raw2)
	require.NoError(t, err)
	require.Len(t, objs, 5)

	const fix = "produce the Secret with an ExternalSecret or a SealedSecret (environments/secrets.go)"
	assert.Equal(t, []string{
		"[dev/typed] stringData: a Secret in the chart puts its values in git; " + fix,
		"[dev/raw] data: a Secret in the chart puts its values in git; " + fix,
		"[dev/sealed] spec.template.data: a SealedSecret in the chart puts its values in git; " + fix,
	}, plaintextSecrets(chart, objs))
}
