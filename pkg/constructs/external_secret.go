package constructs

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	esv1 "github.com/telepace/platform-charts/pkg/apis/externalsecrets/v1"
	genv1alpha1 "github.com/telepace/platform-charts/pkg/apis/generators/v1alpha1"
)

// GoogleServiceAccountAnnotation binds a Kubernetes ServiceAccount to a
// Google service account through GKE workload identity.
const GoogleServiceAccountAnnotation = "iam.gke.io/gcp-service-account"

// GoogleSecretManager is a SecretStore provider: Google Cloud Secret
// Manager, reached through GKE workload identity.
type GoogleSecretManager struct {
	// ProjectID is the Google Cloud project holding the secrets. Required.
	ProjectID string
	// ServiceAccount is the Google service account's e-mail address; it
	// needs roles/secretmanager.secretAccessor on the project, and a
	// workload identity binding to the store's Kubernetes ServiceAccount.
	// Required.
	ServiceAccount string
}

// KubernetesSecrets is a SecretStore provider: Secrets of the namespace the
// chart is installed into, which people create by hand. The store may read
// only the Secrets it names.
type KubernetesSecrets struct {
	// Namespace is the namespace the chart is installed into, where the
	// store's Role grants reading. Required; an environment fills it in.
	Namespace string
	// Secrets are the names the store may read. Required.
	Secrets []string
}

// SecretStoreProps configures a SecretStore and the ServiceAccount it
// authenticates as. Set exactly one provider.
type SecretStoreProps struct {
	// Name is the store's name, and its ServiceAccount's. Defaults to the
	// construct id.
	Name string
	// Labels are the objects' recommended labels. Required.
	Labels Labels
	// GoogleSecretManager reads Google Cloud Secret Manager.
	GoogleSecretManager *GoogleSecretManager
	// Kubernetes reads hand-made Secrets of the release's namespace.
	Kubernetes *KubernetesSecrets
}

// SecretStore is an External Secrets Operator SecretStore
// (external-secrets.io/v1) with the ServiceAccount it authenticates as and,
// for the Kubernetes provider, the Role that lets it read the Secrets it
// names and nothing else.
type SecretStore struct {
	constructs.Construct
	// ApiObject is the SecretStore object.
	ApiObject cdk8s.ApiObject
	name      string
	objects   []cdk8s.ApiObject
}

var (
	googleProjectID      = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	googleServiceAccount = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$`)
)

// NewSecretStore adds a SecretStore named id to scope.
func NewSecretStore(scope constructs.Construct, id string, props SecretStoreProps) *SecretStore {
	s := &SecretStore{Construct: newConstruct(scope, id)}
	s.name = cmp.Or(props.Name, id)
	var errs problems
	validateObjectName(&errs, "name", s.name)
	sa := &corev1.ServiceAccount{
		ObjectMeta:                   metav1.ObjectMeta{Name: s.name, Labels: props.Labels.Map()},
		AutomountServiceAccountToken: ptr.To(false),
	}
	provider := &esv1.SecretStoreProvider{}
	switch {
	case (props.GoogleSecretManager == nil) == (props.Kubernetes == nil):
		errs.addf("provider", "set exactly one of googleSecretManager and kubernetes")
	case props.GoogleSecretManager != nil:
		g := props.GoogleSecretManager
		if !googleProjectID.MatchString(g.ProjectID) {
			errs.addf("googleSecretManager.projectID", "%q is not a Google Cloud project ID (6 to 30 lower-case letters, digits and hyphens)", g.ProjectID)
		}
		if !googleServiceAccount.MatchString(g.ServiceAccount) {
			errs.addf("googleSecretManager.serviceAccount", "%q is not a Google service account address (name@project.iam.gserviceaccount.com)", g.ServiceAccount)
		}
		sa.Annotations = map[string]string{GoogleServiceAccountAnnotation: g.ServiceAccount}
		provider.GCPSM = &esv1.GCPSMProvider{
			ProjectID: g.ProjectID,
			Auth:      esv1.GCPSMAuth{WorkloadIdentity: &esv1.GCPWorkloadIdentity{ServiceAccountRef: esv1.ServiceAccountSelector{Name: s.name}}},
		}
	default:
		k := props.Kubernetes
		if msgs := validation.IsDNS1123Label(k.Namespace); len(msgs) > 0 {
			errs.addf("kubernetes.namespace", "%q is not a valid namespace: %s", k.Namespace, strings.Join(msgs, "; "))
		}
		if len(k.Secrets) == 0 {
			errs.addf("kubernetes.secrets", "name at least one Secret the store may read")
		}
		for i, name := range k.Secrets {
			if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
				errs.addf(fmt.Sprintf("kubernetes.secrets[%d]", i), "%q is not a valid Secret name: %s", name, strings.Join(msgs, "; "))
			}
		}
		provider.Kubernetes = &esv1.KubernetesProvider{
			RemoteNamespace: k.Namespace,
			Server:          esv1.KubernetesServer{CAProvider: &esv1.CAProvider{Type: "ConfigMap", Name: "kube-root-ca.crt", Key: "ca.crt"}},
			Auth:            &esv1.KubernetesAuth{ServiceAccount: &esv1.ServiceAccountSelector{Name: s.name}},
		}
	}
	AddProblems(s.Construct, errs...)
	s.objects = append(s.objects, NewTypedObject(s.Construct, "service-account", sa))
	if k := props.Kubernetes; k != nil && props.GoogleSecretManager == nil {
		meta := metav1.ObjectMeta{Name: s.name, Labels: props.Labels.Map()}
		s.objects = append(s.objects, NewTypedObject(s.Construct, "role", &rbacv1.Role{
			ObjectMeta: meta,
			Rules: []rbacv1.PolicyRule{{
				APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"},
				ResourceNames: slices.Sorted(slices.Values(k.Secrets)),
			}},
		}), NewTypedObject(s.Construct, "role-binding", &rbacv1.RoleBinding{
			ObjectMeta: meta,
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: s.name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: s.name}},
		}))
	}
	s.ApiObject = NewTypedObject(s.Construct, "resource", &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Name: s.name, Labels: props.Labels.Map()},
		Spec:       esv1.SecretStoreSpec{Provider: provider},
	})
	s.objects = append(s.objects, s.ApiObject)
	return s
}

// Name returns the store's name.
func (s *SecretStore) Name() string { return s.name }

// ApiObjects returns every object the store adds: its ServiceAccount, its
// Role and RoleBinding if it has them, and the SecretStore.
func (s *SecretStore) ApiObjects() []cdk8s.ApiObject { return slices.Clone(s.objects) }

// PasswordGeneratorProps configures a Password generator.
type PasswordGeneratorProps struct {
	// Name is the generator's name. Defaults to the construct id.
	Name string
	// Labels are the object's recommended labels. Required.
	Labels Labels
	// Length is the number of characters, a quarter of them digits. The
	// passwords have no symbols, so they fit unquoted in URLs and DSNs.
	// Defaults to 32; at least 16.
	Length int
}

// PasswordGenerator is an External Secrets Operator Password generator
// (generators.external-secrets.io/v1alpha1). Every ExternalSecret key that
// names it gets a password of its own.
type PasswordGenerator struct {
	constructs.Construct
	// ApiObject is the Password object.
	ApiObject cdk8s.ApiObject
	name      string
}

// MinPasswordLength is the shortest password a PasswordGenerator makes.
const MinPasswordLength = 16

// NewPasswordGenerator adds a Password generator named id to scope.
func NewPasswordGenerator(scope constructs.Construct, id string, props PasswordGeneratorProps) *PasswordGenerator {
	g := &PasswordGenerator{Construct: newConstruct(scope, id)}
	g.name = cmp.Or(props.Name, id)
	length := cmp.Or(props.Length, 32)
	var errs problems
	validateObjectName(&errs, "name", g.name)
	if length < MinPasswordLength || length > 128 {
		errs.addf("length", "%d is outside %d to 128", length, MinPasswordLength)
	}
	AddProblems(g.Construct, errs...)
	g.ApiObject = NewTypedObject(g.Construct, "resource", &genv1alpha1.Password{
		ObjectMeta: metav1.ObjectMeta{Name: g.name, Labels: props.Labels.Map()},
		Spec:       genv1alpha1.PasswordSpec{Length: length, Digits: ptr.To(length / 4), Symbols: ptr.To(0), AllowRepeat: true},
	})
	return g
}

// Name returns the generator's name.
func (g *PasswordGenerator) Name() string { return g.name }

// RemoteKey fills one Secret key from one value in the store.
type RemoteKey struct {
	// Key is the Secret key. Required.
	Key string
	// Remote is the value's name in the store. Required.
	Remote string
	// Property picks one field of a structured remote value. Defaults to
	// the whole value.
	Property string
}

// GeneratedKey fills one Secret key with a generated password.
type GeneratedKey struct {
	// Key is the Secret key. Required.
	Key string
	// Generator makes the password. Required.
	Generator *PasswordGenerator
}

// ExternalSecretProps configures an ExternalSecret: one Secret, each of
// whose keys comes from a store or a generator, and never from git.
type ExternalSecretProps struct {
	// Name is the ExternalSecret's name, and the Secret's. Defaults to the
	// construct id.
	Name string
	// Labels are the object's recommended labels. Required.
	Labels Labels
	// Store is the SecretStore Keys and Extract read. Required for them.
	Store *SecretStore
	// Keys fill Secret keys from single store values.
	Keys []RemoteKey
	// Extract fills the Secret with every property of one store value (a
	// JSON object in Secret Manager, or a hand-made Secret's keys), however
	// many there are. For Secrets whose every key is optional.
	Extract string
	// Generated fill Secret keys with generated passwords. Such a Secret is
	// written once and never refreshed: a data store keeps the password it
	// was initialised with. Its shape (keys, Values, labels) is fixed then
	// too; the operator ignores later changes to the ExternalSecret (see
	// docs/secrets.md for rotation). It cannot also read Keys or Extract.
	Generated []GeneratedKey
	// Values are keys that are not secret, such as a user or database
	// name, written as they are. Defaults to none.
	Values map[string]string
	// SecretLabels label the Secret. Defaults to none.
	SecretLabels map[string]string
	// RefreshInterval is how often store values are read again. Required
	// with Keys or Extract.
	RefreshInterval time.Duration
	// Retain keeps the Secret when the ExternalSecret is deleted (creation
	// policy Orphan), so an uninstall or a rollback never takes a running
	// service's credentials away. Defaults to false (the Secret is owned).
	Retain bool
	// Optional skips store values that do not exist (deletion policy
	// Merge) instead of failing the whole Secret (Retain): for Secrets
	// whose every key is optional. Defaults to false.
	Optional bool
}

// ExternalSecret is an External Secrets Operator ExternalSecret
// (external-secrets.io/v1) producing one Secret of the same name.
type ExternalSecret struct {
	constructs.Construct
	// ApiObject is the ExternalSecret object.
	ApiObject cdk8s.ApiObject
	name      string
	keys      []string
	extract   bool
	generates bool
}

// NewExternalSecret adds an ExternalSecret named id to scope.
func NewExternalSecret(scope constructs.Construct, id string, props ExternalSecretProps) *ExternalSecret {
	e := &ExternalSecret{Construct: newConstruct(scope, id)}
	e.name = cmp.Or(props.Name, id)
	var errs problems
	if msgs := validation.IsDNS1123Subdomain(e.name); len(msgs) > 0 {
		errs.addf("name", "%q is not a valid Secret name: %s", e.name, strings.Join(msgs, "; "))
	}
	spec := esv1.ExternalSecretSpec{
		Target: esv1.ExternalSecretTarget{Name: e.name, CreationPolicy: "Owner", DeletionPolicy: "Retain"},
	}
	if props.Retain {
		spec.Target.CreationPolicy = "Orphan"
	}
	if props.Optional {
		spec.Target.DeletionPolicy = "Merge"
	}
	e.generates = len(props.Generated) > 0
	if len(e.name) > MaxExternalSecretName {
		errs.addf("name", "%q is longer than %d characters; the operator's field manager for it would exceed Kubernetes' 128", e.name, MaxExternalSecretName)
	}
	seen := map[string]string{}
	key := func(field, k string) {
		if msgs := validation.IsConfigMapKey(k); len(msgs) > 0 {
			errs.addf(field, "%q is not a valid Secret key: %s", k, strings.Join(msgs, "; "))
		}
		if other, dup := seen[k]; dup {
			errs.addf(field, "%q is already filled by %s", k, other)
		}
		seen[k] = field
		e.keys = append(e.keys, k)
	}
	fromStore := len(props.Keys) > 0 || props.Extract != ""
	if fromStore && len(props.Generated) > 0 {
		errs.addf("generated", "generated passwords are created once, store values are read again and again; a Secret of both would get new passwords at every refresh, so make them two Secrets")
	}
	if len(props.Keys) == 0 && props.Extract == "" && len(props.Generated) == 0 {
		errs.addf("keys", "the Secret gets no keys: set keys, extract or generated")
	}
	if fromStore && props.Store == nil {
		errs.addf("store", "is required to read keys or extract from a store")
	}
	if props.Store != nil {
		spec.SecretStoreRef = &esv1.SecretStoreRef{Name: props.Store.Name(), Kind: "SecretStore"}
	}
	for i, k := range props.Keys {
		field := fmt.Sprintf("keys[%d]", i)
		key(field+".key", k.Key)
		if !remoteKey.MatchString(k.Remote) {
			errs.addf(field+".remote", "%q is not a store key (letters, digits, '-', '_', '.' and '/')", k.Remote)
		}
		spec.Data = append(spec.Data, esv1.ExternalSecretData{SecretKey: k.Key, RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: k.Remote, Property: k.Property}})
	}
	if props.Extract != "" {
		if !remoteKey.MatchString(props.Extract) {
			errs.addf("extract", "%q is not a store key (letters, digits, '-', '_', '.' and '/')", props.Extract)
		}
		e.extract = true
		spec.DataFrom = append(spec.DataFrom, esv1.ExternalSecretDataFromRemoteRef{Extract: &esv1.ExternalSecretDataRemoteRef{Key: props.Extract}})
	}
	for i, g := range props.Generated {
		field := fmt.Sprintf("generated[%d]", i)
		key(field+".key", g.Key)
		if g.Generator == nil {
			errs.addf(field+".generator", "is required")
			continue
		}
		spec.DataFrom = append(spec.DataFrom, esv1.ExternalSecretDataFromRemoteRef{
			SourceRef: &esv1.StoreGeneratorSourceRef{GeneratorRef: &esv1.GeneratorRef{
				APIVersion: genv1alpha1.SchemeGroupVersion.String(), Kind: "Password", Name: g.Generator.Name(),
			}},
			// The generator's one output key is "password".
			Rewrite: []esv1.ExternalSecretRewrite{{Regexp: &esv1.ExternalSecretRewriteRegexp{Source: "^password$", Target: g.Key}}},
		})
	}
	for _, k := range slices.Sorted(maps.Keys(props.Values)) {
		field := fmt.Sprintf("values[%s]", k)
		key(field, k)
		if secretLikeKey.MatchString(k) {
			errs.addf(field, "a key named like a secret must be generated or read from a store, never written in git")
		}
		if strings.Contains(props.Values[k], "{{") {
			errs.addf(field, "holds {{, which the operator would read as a template")
		}
	}
	errs.labels("secretLabels", props.SecretLabels)
	switch {
	case fromStore && props.RefreshInterval <= 0:
		errs.addf("refreshInterval", "is required when values are read from a store")
	case fromStore && props.RefreshInterval < time.Minute:
		errs.addf("refreshInterval", "%s would call the store more than once a minute; use a minute or more", props.RefreshInterval)
	case fromStore:
		spec.RefreshPolicy = "Periodic"
		spec.RefreshInterval = &metav1.Duration{Duration: props.RefreshInterval}
	case props.RefreshInterval != 0:
		errs.addf("refreshInterval", "generated passwords are created once and never refreshed; leave it unset")
	default:
		spec.RefreshPolicy = "CreatedOnce"
	}
	// Always a template with the Secret's own labels: without one, the
	// operator copies the ExternalSecret's labels and annotations (Helm's
	// and Argo CD's among them) onto the Secret.
	// The Secret is the operator's, not the release's: no instance label,
	// which Argo CD's label tracking would take for an object of its
	// application and prune.
	secretLabels := props.Labels.Map()
	secretLabels[LabelManagedBy] = "external-secrets"
	delete(secretLabels, LabelInstance)
	maps.Copy(secretLabels, props.SecretLabels)
	spec.Target.Template = &esv1.ExternalSecretTemplate{
		EngineVersion: "v2",
		MergePolicy:   "Merge",
		Metadata:      &esv1.ExternalSecretTemplateMetadata{Labels: secretLabels},
		Data:          nilIfEmpty(maps.Clone(props.Values)),
	}
	AddProblems(e.Construct, errs...)
	e.ApiObject = NewTypedObject(e.Construct, "resource", &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Name: e.name, Labels: props.Labels.Map()},
		Spec:       spec,
	})
	slices.Sort(e.keys)
	return e
}

var (
	remoteKey = regexp.MustCompile(`^[A-Za-z0-9_./-]{1,255}$`)
	// secretLikeKey matches names of settings and keys that hold secrets.
	secretLikeKey = regexp.MustCompile(`(?i)pass(word|wd|phrase)|secret|token|private[-_.]?key|credential|api[-_.]?key`)
)

// SecretKeys returns the keys the Secret is known to get, sorted, as
// ExternalSecret.Keys does once it is built.
func (p ExternalSecretProps) SecretKeys() []string {
	var keys []string
	for _, k := range p.Keys {
		keys = append(keys, k.Key)
	}
	for _, g := range p.Generated {
		keys = append(keys, g.Key)
	}
	keys = append(keys, slices.Collect(maps.Keys(p.Values))...)
	slices.Sort(keys)
	return keys
}

// Generates reports whether some of the Secret's keys are generated.
func (e *ExternalSecret) Generates() bool { return e.generates }

// MaxExternalSecretName is the longest ExternalSecret name: the operator
// writes its Secret with the field manager
// "externalsecrets.external-secrets.io/<name>", which Kubernetes caps at
// 128 characters.
const MaxExternalSecretName = 128 - len("externalsecrets.external-secrets.io/")
