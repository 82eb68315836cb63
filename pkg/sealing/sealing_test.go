package sealing_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	ssv1alpha1 "github.com/bitnami/sealed-secrets/pkg/apis/sealedsecrets/v1alpha1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/telepace/platform-charts/pkg/sealing"
)

// keyPair generates a controller key pair and its self-signed certificate,
// as the Sealed Secrets controller does. No key is ever committed.
func keyPair(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sealed-secret"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageEncipherOnly,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// unseal decrypts with the sealed-secrets library's own SealedSecret code,
// as the controller would for a SealedSecret named name in namespace.
func unseal(key *rsa.PrivateKey, namespace, name string, annotations map[string]string, ciphertext string) (map[string][]byte, error) {
	ss := &ssv1alpha1.SealedSecret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Annotations: annotations},
		Spec:       ssv1alpha1.SealedSecretSpec{EncryptedData: ssv1alpha1.SealedSecretEncryptedData{"password": ciphertext}},
	}
	secret, err := ss.Unseal(scheme.Codecs, map[string]*rsa.PrivateKey{"k": key})
	if err != nil {
		return nil, err
	}
	return secret.Data, nil
}

func TestSealRoundTripsThroughTheController(t *testing.T) {
	key, cert := keyPair(t)
	pub, err := sealing.ParseCertificate(cert)
	require.NoError(t, err)
	sealed, err := sealing.Seal(pub, "telepace", "feedback-db", sealing.Strict, []byte("s3cret value\n"))
	require.NoError(t, err)

	data, err := unseal(key, "telepace", "feedback-db", nil, sealed)
	require.NoError(t, err)
	assert.Equal(t, []byte("s3cret value\n"), data["password"])

	// Strict scope: another namespace or another name cannot unseal it.
	for _, wrong := range [][2]string{{"telepace-dev", "feedback-db"}, {"telepace", "other"}} {
		_, err := unseal(key, wrong[0], wrong[1], nil, sealed)
		assert.Error(t, err, "unsealed as %s/%s", wrong[0], wrong[1])
	}
	// Nor can another controller's key.
	other, _ := keyPair(t)
	_, err = unseal(other, "telepace", "feedback-db", nil, sealed)
	assert.Error(t, err)
}

func TestNamespaceWideScope(t *testing.T) {
	key, cert := keyPair(t)
	pub, err := sealing.ParseCertificate(cert)
	require.NoError(t, err)
	sealed, err := sealing.Seal(pub, "telepace", "", sealing.NamespaceWide, []byte("v"))
	require.NoError(t, err)
	wide := map[string]string{"sealedsecrets.bitnami.com/namespace-wide": "true"}
	data, err := unseal(key, "telepace", "any-name", wide, sealed)
	require.NoError(t, err)
	assert.Equal(t, []byte("v"), data["password"])
	_, err = unseal(key, "elsewhere", "any-name", wide, sealed)
	assert.Error(t, err)
}

func TestSealRefusesMissingBindings(t *testing.T) {
	_, cert := keyPair(t)
	pub, err := sealing.ParseCertificate(cert)
	require.NoError(t, err)
	_, err = sealing.Seal(pub, "", "x", sealing.Strict, []byte("v"))
	assert.EqualError(t, err, "a namespace is required unless the scope is cluster-wide")
	_, err = sealing.Seal(pub, "telepace", "", sealing.Strict, []byte("v"))
	assert.EqualError(t, err, "a Secret name is required in the strict scope")
	_, err = sealing.Seal(pub, "telepace", "x", sealing.Strict, make([]byte, sealing.MaxValueSize+1))
	assert.EqualError(t, err, "the value is over 1048576 bytes (1 MiB), the most a Secret holds")
	_, err = sealing.ParseCertificate([]byte("not a certificate"))
	assert.Error(t, err)
	_, err = sealing.ParseScope("global")
	assert.EqualError(t, err, `scope "global" is not strict, namespace-wide or cluster-wide`)
}

// TestCheckBinding: a namespace and name the apiserver would refuse are
// refused before sealing, with the apimachinery's own reason.
func TestCheckBinding(t *testing.T) {
	const label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
	const subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
	long := strings.Repeat("a", 254)
	tests := []struct {
		namespace, name string
		scope           sealing.Scope
		want            string
	}{
		{"telepace", "feedback-db", sealing.Strict, ""},
		{"telepace", "feedback.db", sealing.Strict, ""},
		{"", "", sealing.ClusterWide, ""},
		{"telepace", "", sealing.NamespaceWide, ""},
		{"Telepace Prod", "feedback-db", sealing.Strict, `namespace "Telepace Prod" is not a valid namespace name: ` + label},
		{"telepace.prod", "feedback-db", sealing.Strict, `namespace "telepace.prod" is not a valid namespace name: must not contain dots`},
		{long[:64], "feedback-db", sealing.Strict, `namespace "` + long[:64] + `" is not a valid namespace name: must be no more than 63 characters`},
		{"Telepace Prod", "", sealing.NamespaceWide, `namespace "Telepace Prod" is not a valid namespace name: ` + label},
		{"telepace", "Feedback_DB", sealing.Strict, `name "Feedback_DB" is not a valid Secret name: ` + subdomain},
		{"telepace", long, sealing.Strict, `name "` + long + `" is not a valid Secret name: must be no more than 253 characters`},
		{"", "Feedback_DB", sealing.ClusterWide, `name "Feedback_DB" is not a valid Secret name: ` + subdomain},
	}
	for _, tt := range tests {
		t.Run(tt.namespace+"/"+tt.name, func(t *testing.T) {
			err := sealing.CheckBinding(tt.namespace, tt.name, tt.scope)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.want)
		})
	}
}

// TestCheckValue: a Secret holds at most 1 MiB; exactly that is sealed.
func TestCheckValue(t *testing.T) {
	assert.NoError(t, sealing.CheckValue(make([]byte, sealing.MaxValueSize)))
	assert.EqualError(t, sealing.CheckValue(make([]byte, sealing.MaxValueSize+1)), "the value is over 1048576 bytes (1 MiB), the most a Secret holds")
	_, cert := keyPair(t)
	pub, err := sealing.ParseCertificate(cert)
	require.NoError(t, err)
	_, err = sealing.Seal(pub, "telepace", "x", sealing.Strict, make([]byte, sealing.MaxValueSize))
	assert.NoError(t, err)
}
