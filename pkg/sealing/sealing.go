// Package sealing seals values for Sealed Secrets the way kubeseal does,
// with the sealed-secrets library's own code: a value encrypted with the
// controller's public certificate can only be decrypted by that controller,
// and, in the default strict scope, only as the Secret of that name in that
// namespace.
package sealing

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	ssv1alpha1 "github.com/bitnami/sealed-secrets/pkg/apis/sealedsecrets/v1alpha1"
	"github.com/bitnami/sealed-secrets/pkg/crypto"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/util/cert"
)

// MaxValueSize is the largest value Seal takes: a Secret holds at most
// 1 MiB of data (corev1.MaxSecretSize), so a larger value could never
// be unsealed into one.
const MaxValueSize = corev1.MaxSecretSize

// CheckBinding returns an error when the namespace and name a value is
// sealed for are missing where scope needs them, or are not what the
// apiserver accepts: a namespace is a DNS label (RFC 1123), a Secret's name
// a DNS subdomain. A value sealed for either could never be unsealed.
func CheckBinding(namespace, name string, scope Scope) error {
	if scope != ClusterWide && namespace == "" {
		return errors.New("a namespace is required unless the scope is cluster-wide")
	}
	if scope == Strict && name == "" {
		return errors.New("a Secret name is required in the strict scope")
	}
	if namespace != "" {
		if msgs := validation.IsDNS1123Label(namespace); len(msgs) > 0 {
			return fmt.Errorf("namespace %q is not a valid namespace name: %s", namespace, strings.Join(msgs, "; "))
		}
	}
	if name != "" {
		if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
			return fmt.Errorf("name %q is not a valid Secret name: %s", name, strings.Join(msgs, "; "))
		}
	}
	return nil
}

// CheckValue returns an error when value is too large for a Secret.
func CheckValue(value []byte) error {
	if len(value) > MaxValueSize {
		return fmt.Errorf("the value is over %d bytes (1 MiB), the most a Secret holds", MaxValueSize)
	}
	return nil
}

// Scope says where a sealed value may be unsealed.
type Scope = ssv1alpha1.SealingScope

// Scopes.
const (
	// Strict pins the value to one Secret name in one namespace. The
	// default.
	Strict = ssv1alpha1.StrictScope
	// NamespaceWide pins the value to a namespace.
	NamespaceWide = ssv1alpha1.NamespaceWideScope
	// ClusterWide lets any namespace unseal the value.
	ClusterWide = ssv1alpha1.ClusterWideScope
)

// ParseScope reads "strict", "namespace-wide" or "cluster-wide"; "" is
// strict.
func ParseScope(s string) (Scope, error) {
	var scope Scope
	switch s {
	case "", "strict", "namespace-wide", "cluster-wide":
		err := scope.Set(s)
		return scope, err
	}
	return Strict, fmt.Errorf("scope %q is not strict, namespace-wide or cluster-wide", s)
}

// ParseCertificate reads the controller's public certificate (PEM), as
// `kubeseal --fetch-cert` prints it.
func ParseCertificate(pemData []byte) (*rsa.PublicKey, error) {
	certs, err := cert.ParseCertsPEM(pemData)
	if err != nil {
		return nil, fmt.Errorf("reading the certificate: %w", err)
	}
	key, ok := certs[0].PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the certificate holds a %T, not an RSA public key", certs[0].PublicKey)
	}
	return key, nil
}

// Seal encrypts value for the Secret name in namespace under scope and
// returns the base64 ciphertext that goes into a SealedSecret's
// encryptedData. It refuses what CheckBinding and CheckValue refuse.
func Seal(pub *rsa.PublicKey, namespace, name string, scope Scope, value []byte) (string, error) {
	return seal(rand.Reader, pub, namespace, name, scope, value)
}

func seal(rnd io.Reader, pub *rsa.PublicKey, namespace, name string, scope Scope, value []byte) (string, error) {
	if pub == nil {
		return "", errors.New("no public key")
	}
	if err := CheckBinding(namespace, name, scope); err != nil {
		return "", err
	}
	if err := CheckValue(value); err != nil {
		return "", err
	}
	out, err := crypto.HybridEncrypt(rnd, pub, value, ssv1alpha1.EncryptionLabel(namespace, name, scope))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(out), nil
}
