package constructs

import (
	"cmp"
	"fmt"
	"strings"
)

// SecretReference is one key of a Secret that a construct reads. Every
// reference an environment makes must be produced in that environment, by
// an ExternalSecret or a SealedSecret; only an optional reference may go
// unanswered.
type SecretReference struct {
	// Secret and Key name the value.
	Secret, Key string
	// Optional means the reader works without the value.
	Optional bool
	// Field is where the construct declares the reference, such as
	// "secretEnv[1]".
	Field string
	// SecretLabels are labels the Secret must carry for its reader to find
	// it, such as Kong's konghq.com/credential. Defaults to none.
	SecretLabels map[string]string
}

// SecretReferences returns the Secret keys the service's containers read,
// its migration Job's included, in declaration order.
func (p MicroserviceProps) SecretReferences() []SecretReference {
	refs := make([]SecretReference, 0, len(p.SecretEnv))
	for i, s := range p.SecretEnv {
		refs = append(refs, SecretReference{Secret: s.Secret, Key: s.Key, Optional: s.Optional, Field: fmt.Sprintf("secretEnv[%d]", i)})
	}
	return refs
}

// KongCredentialLabel is the label by which Kong's controller finds a
// consumer's credential Secret and learns its type.
const KongCredentialLabel = "konghq.com/credential"

// SecretReferences returns the keys each credential's Secret must hold,
// with the credential's defaults applied, as NewKongConsumer applies them.
func (p KongConsumerProps) SecretReferences() []SecretReference {
	var refs []SecretReference
	for i, c := range p.Credentials {
		if c.Type == "jwt" {
			c.Algorithm = cmp.Or(c.Algorithm, DefaultJWTAlgorithm)
		}
		for _, key := range c.secretKeys() {
			refs = append(refs, SecretReference{
				Secret: c.Secret, Key: key,
				Field:        fmt.Sprintf("credentials[%d]", i),
				SecretLabels: map[string]string{KongCredentialLabel: c.Type},
			})
		}
	}
	return refs
}

// secretKeys are the keys the credential's Secret holds: for jwt, the
// shared secret or the public key, by algorithm.
func (c ConsumerCredential) secretKeys() []string {
	if c.Type != "jwt" {
		return KongCredentialTypes[c.Type]
	}
	if strings.HasPrefix(c.Algorithm, "HS") {
		return []string{"key", "algorithm", "secret"}
	}
	return []string{"key", "algorithm", "rsa_public_key"}
}

// SecretReferences returns the receivers' credentials, as
// NewAlertmanagerConfig reads them: a receiver with both a pager and a
// chat credential is a problem, and reads neither.
func (p AlertmanagerConfigProps) SecretReferences() []SecretReference {
	var refs []SecretReference
	for i, r := range p.Receivers {
		field := fmt.Sprintf("receivers[%d]", i)
		switch {
		case r.PagerDuty != nil && r.Slack != nil:
		case r.PagerDuty != nil:
			refs = append(refs, SecretReference{Secret: r.PagerDuty.Name, Key: r.PagerDuty.Key, Field: field + ".pagerDuty"})
		case r.Slack != nil:
			refs = append(refs, SecretReference{Secret: r.Slack.Name, Key: r.Slack.Key, Field: field + ".slack"})
		}
	}
	return refs
}
