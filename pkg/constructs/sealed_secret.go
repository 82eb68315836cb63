package constructs

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	ssv1alpha1 "github.com/bitnami/sealed-secrets/pkg/apis/sealedsecrets/v1alpha1"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// SealedSecretProps configures a SealedSecret: ciphertext that only the
// cluster's Sealed Secrets controller can turn back into a Secret.
type SealedSecretProps struct {
	// Name is the Secret's name; in the strict scope the ciphertext is
	// bound to it. Defaults to the construct id.
	Name string
	// Labels are the object's recommended labels. Required.
	Labels Labels
	// Scope is "strict" (bound to name and namespace), "namespace-wide" or
	// "cluster-wide". It must be the scope the values were sealed for.
	// Defaults to "strict".
	Scope string
	// EncryptedData maps each Secret key to its base64 ciphertext, as
	// `synth seal` or `kubeseal --raw` print it. Required.
	EncryptedData map[string]string
	// SecretLabels label the unsealed Secret. Defaults to none.
	SecretLabels map[string]string
}

// SealedSecret is a Secret sealed for one cluster (bitnami.com/v1alpha1).
type SealedSecret struct {
	constructs.Construct
	// ApiObject is the SealedSecret object.
	ApiObject cdk8s.ApiObject
	name      string
	keys      []string
}

// NewSealedSecret adds a SealedSecret named id to scope.
func NewSealedSecret(scope constructs.Construct, id string, props SealedSecretProps) *SealedSecret {
	s := &SealedSecret{Construct: newConstruct(scope, id)}
	s.name = cmp.Or(props.Name, id)
	var errs problems
	if msgs := validation.IsDNS1123Subdomain(s.name); len(msgs) > 0 {
		errs.addf("name", "%q is not a valid Secret name: %s", s.name, strings.Join(msgs, "; "))
	}
	annotations := map[string]string{}
	switch props.Scope {
	case "", "strict":
	case "namespace-wide":
		annotations["sealedsecrets.bitnami.com/namespace-wide"] = "true"
	case "cluster-wide":
		annotations["sealedsecrets.bitnami.com/cluster-wide"] = "true"
	default:
		errs.addf("scope", "%q is not strict, namespace-wide or cluster-wide", props.Scope)
	}
	if len(props.EncryptedData) == 0 {
		errs.addf("encryptedData", "at least one key is required")
	}
	for _, k := range slices.Sorted(maps.Keys(props.EncryptedData)) {
		field := fmt.Sprintf("encryptedData[%s]", k)
		if msgs := validation.IsConfigMapKey(k); len(msgs) > 0 {
			errs.addf(field, "%q is not a valid Secret key: %s", k, strings.Join(msgs, "; "))
		}
		// A sealed value is base64 of at least the RSA-OAEP session key.
		raw, err := base64.StdEncoding.DecodeString(props.EncryptedData[k])
		switch {
		case err != nil:
			errs.addf(field, "is not base64 ciphertext: %v; seal the value with `synth seal`", err)
		case len(raw) < 256:
			errs.addf(field, "is %d bytes, too short to be sealed; seal the value with `synth seal`, never paste it in plain", len(raw))
		}
		s.keys = append(s.keys, k)
	}
	AddProblems(s.Construct, errs...)
	// The unsealed Secret is not owned by the SealedSecret, so deleting the
	// SealedSecret (an uninstall, a rollback to a revision without it)
	// leaves the Secret under the pods that read it, as ExternalSecrets do.
	// Without an owner reference the controller would take the Secret for
	// someone else's after creating it ("already exists and is not managed
	// by SealedSecret") and never update it again: the managed annotation,
	// which the template gives the Secret, lets a re-sealed value reach it.
	secretAnnotations := maps.Clone(annotations)
	secretAnnotations[ssv1alpha1.SealedSecretSkipSetOwnerReferencesAnnotation] = "true"
	secretAnnotations[ssv1alpha1.SealedSecretManagedAnnotation] = "true"
	s.ApiObject = NewTypedObject(s.Construct, "resource", &ssv1alpha1.SealedSecret{
		ObjectMeta: metav1.ObjectMeta{Name: s.name, Labels: props.Labels.Map(), Annotations: nilIfEmpty(annotations)},
		Spec: ssv1alpha1.SealedSecretSpec{
			EncryptedData: ssv1alpha1.SealedSecretEncryptedData(maps.Clone(props.EncryptedData)),
			Template: ssv1alpha1.SecretTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Name: s.name, Labels: nilIfEmpty(maps.Clone(props.SecretLabels)), Annotations: secretAnnotations},
			},
		},
	})
	return s
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
