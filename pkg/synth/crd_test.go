package synth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"sync"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/internal/crds"
	"github.com/telepace/platform-charts/internal/crdschema"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
	"github.com/telepace/platform-charts/pkg/sealing"
	"github.com/telepace/platform-charts/pkg/synth"
)

// crdValidator loads the CRDs pinned in internal/crds/crd-versions.txt
// once per test binary.
var crdValidator = sync.OnceValues(func() (*crdschema.Validator, error) {
	defs, err := crds.Load()
	if err != nil {
		return nil, err
	}
	return crdschema.New(defs)
})

func validator(t *testing.T) *crdschema.Validator {
	t.Helper()
	v, err := crdValidator()
	require.NoError(t, err)
	return v
}

// TestCustomResourcesMatchTheirCRDs validates every custom resource of
// every generated chart against its CRD at the pinned version, with the
// apiextensions-apiserver's own code: structural schema, pruning of unknown
// fields, types, enums and patterns, and the CEL rules. A kind no pinned
// CRD defines fails, named.
func TestCustomResourcesMatchTheirCRDs(t *testing.T) {
	v := validator(t)
	resolved, err := synth.ResolveWithGitOps(environments.All(), environments.Repository)
	require.NoError(t, err)
	kinds := map[string]int{}
	charts := append(environments.All(), environments.Environment{Name: environments.GitOpsChart, Namespace: environments.Repository.Namespace})
	for _, env := range charts {
		for _, o := range resolved[env.Name].Objects {
			gvk := objectGVK(t, o.YAML)
			if builtIn(gvk) {
				continue // a built-in kind; TestObjectsDecodeStrictly checks it
			}
			kinds[gvk.Kind]++
			if !assert.True(t, v.Knows(gvk), "%s: %s/%s: no pinned CRD defines %s", env.Name, o.Kind, o.Name, gvk) {
				continue
			}
			res, err := v.ValidateYAML(o.YAML, env.Namespace)
			require.NoError(t, err)
			assert.True(t, res.OK(), "%s: %s/%s against %s:\n%s", env.Name, o.Kind, o.Name, res.CRD, res)
		}
	}
	// Every custom kind the constructs emit was seen, so none escaped the
	// check.
	for _, kind := range []string{"GatewayClass", "Gateway", "HTTPRoute", "KongPlugin", "KongClusterPlugin", "ServiceMonitor", "PrometheusRule", "AlertmanagerConfig",
		"SecretStore", "ExternalSecret", "Password", "AppProject", "Application"} {
		assert.Positive(t, kinds[kind], "no %s in any chart", kind)
	}
}

// TestCRDValidatorRejectsBrokenObjects shows, per kind, the validator
// rejecting a broken object with the schema's own message: so the check
// above can fail.
func TestCRDValidatorRejectsBrokenObjects(t *testing.T) {
	v := validator(t)
	tests := []struct {
		kind, doc string
		unknown   []string
		errors    []string
	}{
		{
			kind: "GatewayClass",
			doc:  "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: kong}\nspec: {controllerName: not-a-domain-path}\n",
			errors: []string{
				`spec.controllerName: Invalid value: "not-a-domain-path": spec.controllerName in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$'`,
			},
		},
		{
			kind: "Gateway",
			doc:  "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: kong}\nspec:\n  gatewayClassName: kong\n  listeners:\n  - {name: api, hostname: api.example.com, port: 80, protocol: HTTP, tls: {mode: Terminate}}\n",
			errors: []string{
				`spec.listeners: Invalid value: tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']`,
				`spec.listeners[0].tls: Invalid value: "object": no such key: certificateRefs evaluating rule: certificateRefs or options must be specified when mode is Terminate`,
			},
		},
		{
			kind:    "HTTPRoute",
			doc:     "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web}\nspec:\n  parentRefs: [{name: kong}]\n  rules:\n  - matches: [{path: {type: PathPrefix, value: //config}}]\n    backendRefs: [{name: web, port: 3000, weigth: 1}]\n",
			unknown: []string{"spec.rules[0].backendRefs[0].weigth"},
			errors: []string{
				`spec.rules[0].matches[0].path: Invalid value: must not contain '//' when type one of ['Exact', 'PathPrefix']`,
			},
		},
		{
			kind: "KongPlugin",
			doc:  "apiVersion: configuration.konghq.com/v1\nkind: KongPlugin\nmetadata: {name: rate-limit}\nplugin: rate-limiting\nconfig: {minute: 5}\nconfigFrom: {secretKeyRef: {name: s, key: k}}\n",
			errors: []string{
				`<nil>: Invalid value: Using both config and configFrom fields is not allowed.`,
			},
		},
		{
			kind: "KongClusterPlugin",
			doc:  "apiVersion: configuration.konghq.com/v1\nkind: KongClusterPlugin\nmetadata: {name: prometheus}\nconfig: {}\n",
			errors: []string{
				`<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`,
				`plugin: Required value`,
			},
		},
		{
			kind: "KongConsumer",
			doc:  "apiVersion: configuration.konghq.com/v1\nkind: KongConsumer\nmetadata: {name: partner}\ncredentials: [partner-key]\n",
			errors: []string{
				`<nil>: Invalid value: Need to provide either username or custom_id`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			res, err := v.ValidateYAML([]byte(tt.doc), "telepace")
			require.NoError(t, err)
			assert.Equal(t, tt.unknown, res.UnknownFields)
			assert.Equal(t, tt.errors, res.Errors)
		})
	}
}

func TestCRDValidatorNamesAnUnpinnedKind(t *testing.T) {
	_, err := validator(t).ValidateYAML([]byte("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"), "telepace")
	require.Error(t, err)
	assert.Equal(t, "no pinned CustomResourceDefinition defines example.com/v1, Kind=Widget", err.Error())
}

// builtInScheme holds only client-go's built-in groups. (client-go's
// global scheme.Scheme is not used: the sealed-secrets package registers
// itself into it on import.)
var builtInScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	return s
}()

// builtIn reports whether gvk is a built-in Kubernetes kind.
func builtIn(gvk schema.GroupVersionKind) bool { return builtInScheme.Recognizes(gvk) }

func objectGVK(t *testing.T, doc []byte) schema.GroupVersionKind {
	t.Helper()
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	require.NoError(t, yaml.Unmarshal(doc, &head))
	require.NotEmpty(t, head.Kind)
	return schema.FromAPIVersionAndKind(head.APIVersion, head.Kind)
}

// TestEveryGatewayConstructMatchesItsCRD builds each gateway construct with
// every typed plugin config, including kinds no environment uses yet, and
// validates the output against the pinned CRDs.
func TestEveryGatewayConstructMatchesItsCRD(t *testing.T) {
	v := validator(t)
	configs := pc.PluginConfigExamples()
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) {
		for _, c := range configs {
			pc.NewKongPlugin(chart, c.PluginName(), pc.KongPluginProps{Config: c})
		}
		pc.NewKongClusterPlugin(chart, "prometheus-global", pc.KongClusterPluginProps{Config: pc.Prometheus{}, Global: true})
		pc.NewKongConsumer(chart, "partner", pc.KongConsumerProps{Credentials: []pc.ConsumerCredential{
			{Secret: "partner-key", Type: "key-auth"},
			{Secret: "partner-jwt", Type: "jwt", Algorithm: "RS256"},
		}})
		pc.NewGateway(chart, "kong", pc.GatewayProps{Listeners: []pc.Listener{{Name: "api", Host: "api.example.com"}}})
	})
	require.Len(t, objs, len(configs)+4)
	for _, o := range objs {
		doc, err := json.Marshal(o)
		require.NoError(t, err)
		res, err := v.ValidateYAML(doc, "telepace")
		require.NoError(t, err)
		assert.True(t, res.OK(), "%s/%v:\n%s", o["kind"], o["metadata"], res)
	}
}

// TestSealedSecretMatchesItsCRD seals a value with the project's path and
// checks the construct's SealedSecret against the pinned CRD.
func TestSealedSecretMatchesItsCRD(t *testing.T) {
	v := validator(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	sealed, err := sealing.Seal(&key.PublicKey, "telepace", "feedback-db", sealing.Strict, []byte("s3cret"))
	require.NoError(t, err)
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) {
		pc.NewSealedSecret(chart, "db", pc.SealedSecretProps{
			Name:          "feedback-db",
			Labels:        pc.Labels{Name: "feedback-collection-api", Instance: "telepace-prod"},
			EncryptedData: map[string]string{"postgres-password": sealed},
		})
	})
	require.Len(t, objs, 1)
	doc, err := json.Marshal(objs[0])
	require.NoError(t, err)
	res, err := v.ValidateYAML(doc, "telepace")
	require.NoError(t, err)
	assert.True(t, res.OK(), res.String())
}
