package constructs

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// KongPluginProps configures a KongPlugin: one configured Kong plugin in
// the release namespace, which routes use through an ExtensionRef filter.
type KongPluginProps struct {
	// Name is the KongPlugin's name, which routes refer to. It must be a
	// DNS-1123 label. Defaults to the construct id.
	Name string
	// Labels are the object's recommended labels. Name defaults to "gateway".
	Labels Labels
	// Config is the plugin and its typed config, such as RateLimiting{...}.
	// Required.
	Config PluginConfig
}

// plugin is what KongPlugin and KongClusterPlugin share: a construct, a
// name, and a typed config, defaulted and validated.
type plugin struct {
	constructs.Construct
	// ApiObject is the plugin object.
	ApiObject cdk8s.ApiObject
	name      string
	config    PluginConfig
}

// newPlugin makes the construct, validates name and config, and returns
// the config's JSON.
func newPlugin(scope constructs.Construct, id, name string, config PluginConfig) (plugin, apiextensionsv1.JSON) {
	p := plugin{Construct: newConstruct(scope, id), name: cmp.Or(name, id)}
	var errs problems
	validateObjectName(&errs, "name", p.name)
	config, raw := pluginConfig(&errs, config)
	p.config = config
	AddProblems(p.Construct, errs...)
	return p, raw
}

// KongPlugin is a configured Kong plugin (configuration.konghq.com/v1). It
// is a construct; its ApiObject field holds the KongPlugin object.
type KongPlugin struct{ plugin }

// NewKongPlugin adds a KongPlugin named id to scope. Config problems are
// reported as validations, each with its field under config.
func NewKongPlugin(scope constructs.Construct, id string, props KongPluginProps) *KongPlugin {
	p, raw := newPlugin(scope, id, props.Name, props.Config)
	k := &KongPlugin{p}
	k.ApiObject = NewTypedObject(k.Construct, "resource", &kongv1.KongPlugin{
		ObjectMeta: metav1.ObjectMeta{Name: k.name, Labels: gatewayLabels(props.Labels).Map()},
		PluginName: pluginName(k.config),
		Config:     raw,
	})
	return k
}

// KongClusterPluginProps configures a KongClusterPlugin: a cluster-wide
// plugin, such as prometheus on every route.
type KongClusterPluginProps struct {
	// Name is the object's name. Defaults to the construct id.
	Name string
	// Labels are the object's recommended labels. Name defaults to "gateway".
	Labels Labels
	// Config is the plugin and its typed config. Required.
	Config PluginConfig
	// Global applies the plugin to every route Kong serves (the
	// global: "true" label). Defaults to false: only where referenced.
	Global bool
	// IngressClass is the Kong class that picks the plugin up. Defaults to
	// "kong".
	IngressClass string
}

// KongClusterPlugin is a cluster-scoped Kong plugin
// (configuration.konghq.com/v1). It is a construct; its ApiObject field
// holds the KongClusterPlugin object.
type KongClusterPlugin struct{ plugin }

// NewKongClusterPlugin adds a KongClusterPlugin named id to scope.
func NewKongClusterPlugin(scope constructs.Construct, id string, props KongClusterPluginProps) *KongClusterPlugin {
	p, raw := newPlugin(scope, id, props.Name, props.Config)
	k := &KongClusterPlugin{p}
	labels := gatewayLabels(props.Labels).Map()
	if props.Global {
		labels["global"] = "true"
	}
	k.ApiObject = NewTypedObject(k.Construct, "resource", &kongv1.KongClusterPlugin{
		ObjectMeta: metav1.ObjectMeta{
			Name:        k.name,
			Labels:      labels,
			Annotations: map[string]string{"kubernetes.io/ingress.class": cmp.Or(props.IngressClass, "kong")},
		},
		PluginName: pluginName(k.config),
		Config:     raw,
	})
	return k
}

// pluginConfig defaults and validates config and returns it with its JSON.
func pluginConfig(errs *problems, config PluginConfig) (PluginConfig, apiextensionsv1.JSON) {
	if config == nil {
		errs.addf("config", "is required")
		return nil, apiextensionsv1.JSON{}
	}
	config = config.withDefaults()
	for _, p := range config.validate() {
		*errs = append(*errs, "config."+p)
	}
	raw, err := json.Marshal(config)
	if err != nil {
		panic(fmt.Sprintf("constructs: %T does not marshal: %v", config, err))
	}
	return config, apiextensionsv1.JSON{Raw: raw}
}

func pluginName(c PluginConfig) string {
	if c == nil {
		return ""
	}
	return c.PluginName()
}

// gatewayLabels defaults the labels of gateway objects.
func gatewayLabels(l Labels) Labels {
	l.Name = cmp.Or(l.Name, "gateway")
	l.Instance = cmp.Or(l.Instance, l.Name)
	return l
}

// KongCredentialTypes are the credential types KongConsumer credentials
// may have, with the Secret keys each needs.
var KongCredentialTypes = map[string][]string{
	"key-auth":   {"key"},
	"jwt":        {"key", "algorithm", "secret or rsa_public_key"},
	"basic-auth": {"username", "password"},
	"hmac-auth":  {"username", "secret"},
	"acl":        {"group"},
}

// ConsumerCredential is a credential of a KongConsumer, kept in a Secret
// that is referenced by name and never written here. Kong's controller
// reads Secrets labelled konghq.com/credential: <type>.
type ConsumerCredential struct {
	// Secret names the Secret that holds the credential. Required.
	Secret string
	// Type is the credential type: key-auth, jwt, basic-auth, hmac-auth or
	// acl. Required.
	Type string
	// Algorithm is a jwt credential's signing algorithm, one of
	// JWTAlgorithms; the Secret's algorithm key must hold it. Defaults to
	// HS256 for jwt; must be empty otherwise.
	Algorithm string
}

// Keys returns the keys the credential's Secret must hold.
func (c ConsumerCredential) Keys() []string { return KongCredentialTypes[c.Type] }

// KongConsumerProps configures a KongConsumer.
type KongConsumerProps struct {
	// Name is the object's name. Defaults to the construct id.
	Name string
	// Labels are the object's recommended labels. Name defaults to "gateway".
	Labels Labels
	// Username is the consumer's name in Kong. Defaults to Name.
	Username string
	// Credentials are the consumer's credentials. Defaults to none.
	Credentials []ConsumerCredential
}

// KongConsumer is an API consumer (configuration.konghq.com/v1) whose
// credentials are Secrets referenced by name.
type KongConsumer struct {
	constructs.Construct
	// ApiObject is the KongConsumer object.
	ApiObject   cdk8s.ApiObject
	name        string
	credentials []ConsumerCredential
}

// NewKongConsumer adds a KongConsumer named id to scope.
func NewKongConsumer(scope constructs.Construct, id string, props KongConsumerProps) *KongConsumer {
	k := &KongConsumer{Construct: newConstruct(scope, id)}
	k.name = cmp.Or(props.Name, id)
	var errs problems
	validateObjectName(&errs, "name", k.name)
	var secrets []string
	for i, c := range props.Credentials {
		field := fmt.Sprintf("credentials[%d]", i)
		if msgs := validation.IsDNS1123Subdomain(c.Secret); len(msgs) > 0 {
			errs.addf(field+".secret", "%q is not a valid Secret name: %s", c.Secret, strings.Join(msgs, "; "))
		}
		if _, ok := KongCredentialTypes[c.Type]; !ok {
			errs.addf(field+".type", "%q is not one of acl, basic-auth, hmac-auth, jwt, key-auth", c.Type)
		}
		if c.Type == "jwt" {
			c.Algorithm = cmp.Or(c.Algorithm, DefaultJWTAlgorithm)
			if !slices.Contains(JWTAlgorithms, c.Algorithm) {
				errs.addf(field+".algorithm", "%q is not a JWT algorithm Kong accepts: %s", c.Algorithm, strings.Join(JWTAlgorithms, ", "))
			}
		} else if c.Algorithm != "" {
			errs.addf(field+".algorithm", "only a jwt credential has an algorithm")
		}
		if slices.Contains(secrets, c.Secret) {
			errs.addf(field+".secret", "%q is listed twice", c.Secret)
		}
		secrets = append(secrets, c.Secret)
		k.credentials = append(k.credentials, c)
	}
	AddProblems(k.Construct, errs...)
	k.ApiObject = NewTypedObject(k.Construct, "resource", &kongv1.KongConsumer{
		ObjectMeta: metav1.ObjectMeta{
			Name:        k.name,
			Labels:      gatewayLabels(props.Labels).Map(),
			Annotations: map[string]string{"kubernetes.io/ingress.class": "kong"},
		},
		Username:    cmp.Or(props.Username, k.name),
		Credentials: secrets,
	})
	return k
}

// Credentials returns the consumer's credentials, with defaults applied.
func (k *KongConsumer) Credentials() []ConsumerCredential { return slices.Clone(k.credentials) }

func validateObjectName(errs *problems, field, name string) {
	if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
		errs.addf(field, "%q is not a valid name: %s", name, strings.Join(msgs, "; "))
	}
}
