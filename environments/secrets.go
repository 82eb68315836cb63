package environments

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/telepace/platform-charts/apps"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// Secrets says where an environment's Secrets come from. Each Secret that
// a service, a Kong consumer or an Alertmanager receiver reads gets exactly
// one producer in the environment's chart, chosen in this order:
//
//  1. a SealedSecret listed in Sealed;
//  2. an ExternalSecret of generated passwords, listed in Generated;
//  3. an ExternalSecret reading Store (see RemoteName for the names it
//     reads).
//
// The chart never holds a secret value. Producing a key nobody reads is an
// error, and so is reading a key nothing produces.
//
// Every ExternalSecret orphans its Secret (creation policy Orphan): an
// owned Secret would be deleted with its ExternalSecret on an uninstall or
// a rollback to a revision without it, under running pods.
type Secrets struct {
	// Store is where ExternalSecrets read values. Defaults to none; then
	// every Secret must be generated or sealed.
	Store *pc.SecretStoreProps
	// RefreshInterval is how often values are read from Store again.
	// Required with Store.
	RefreshInterval time.Duration
	// Generated are Secrets of generated passwords, by Secret name.
	Generated map[string]GeneratedSecret
	// Sealed are Secrets sealed for the environment's cluster with
	// `synth seal`.
	Sealed []pc.SealedSecretProps
}

// GeneratedSecret is a Secret whose secret keys are passwords that the
// External Secrets Operator generates in the cluster, once.
type GeneratedSecret struct {
	// Passwords are the keys that get a generated password. Required.
	Passwords []string
	// Values are keys with fixed values that are not secret, such as a
	// user or database name.
	Values map[string]string
}

// RemoteName returns the name of the store value a Secret key is read
// from, and the property of it, by convention:
//
//   - Google Secret Manager: one secret per key, "<env>-<secret>-<key>"
//     (prod-telepace-postgres-postgres-password);
//   - Kubernetes: one Secret per Secret, "<env>-<secret>", holding the key.
//
// A Secret whose every reference is optional is extracted whole from
// "<env>-<secret>" instead (key ""), a JSON object in Secret Manager: it
// holds the keys someone put there, and is absent until someone does.
func RemoteName(store *pc.SecretStoreProps, env, secret, key string) (name, property string) {
	base := env + "-" + secret
	switch {
	case key == "":
		return base, ""
	case store != nil && store.Kubernetes != nil:
		return base, key
	default:
		return base + "-" + key, ""
	}
}

// readers are the Secret references of one construct.
type reader struct {
	construct constructs.Construct
	refs      []pc.SecretReference
}

// wanted is what the environment reads of one Secret.
type wanted struct {
	required, optional []string // keys, sorted, each once
	labels             map[string]string
	readers            []string
}

// SecretSource is one Secret of the environment and where it comes from,
// for the chart's README.
type SecretSource struct {
	// Name is the Secret's name.
	Name string
	// Producer is "ExternalSecret (store <name>)", "ExternalSecret
	// (generated)" or "SealedSecret".
	Producer string
	// FromStore says the Secret's values are read from the SecretStore.
	FromStore bool
	// Keys are the keys it is known to hold, sorted; Extracted means it
	// holds whatever keys the store value has.
	Keys      []string
	Extracted bool
	// Readers are the construct paths of the objects that read it.
	Readers []string
}

// composeSecrets adds a producer for every Secret the composition reads.
func (e Environment) composeSecrets(scope constructs.Construct, c *Composition) []string {
	if len(c.Services) == 0 {
		return nil // reported as services; nothing reads a Secret
	}
	var problems []string
	addf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var readers []reader
	for _, ms := range c.Services {
		readers = append(readers, reader{ms.Construct, ms.SecretReferences()})
	}
	for _, k := range c.Consumers {
		readers = append(readers, reader{k.Construct, k.SecretReferences()})
	}
	if c.Alertmanager != nil {
		readers = append(readers, reader{c.Alertmanager.Construct, c.Alertmanager.SecretReferences()})
	}
	if deps := e.Dependencies(); len(deps) > 0 {
		// The umbrella's charts read Secrets too: a construct per reading
		// dependency gives them a path, as "dev/umbrella/postgresql".
		umbrella := constructs.NewConstruct(scope, jsii.String("umbrella"))
		for _, d := range deps {
			if len(d.Reads) > 0 {
				readers = append(readers, reader{constructs.NewConstruct(umbrella, jsii.String(d.Key())), d.Reads})
			}
		}
	}
	want := map[string]*wanted{}
	for _, r := range readers {
		path := *r.construct.Node().Path()
		for _, ref := range r.refs {
			w := want[ref.Secret]
			if w == nil {
				w = &wanted{labels: map[string]string{}}
				want[ref.Secret] = w
			}
			if ref.Optional {
				w.optional = appendOnce(w.optional, ref.Key)
			} else {
				w.required = appendOnce(w.required, ref.Key)
			}
			for k, v := range ref.SecretLabels {
				if old, ok := w.labels[k]; ok && old != v {
					pc.AddProblems(r.construct, fmt.Sprintf("%s: Secret %q must be labelled %s=%s, but another reader needs %s", ref.Field, ref.Secret, k, v, old))
				}
				w.labels[k] = v
			}
			if !slices.Contains(w.readers, path) {
				w.readers = append(w.readers, path)
			}
		}
	}
	s := e.Secrets
	if len(want) == 0 && s.Store == nil && len(s.Generated) == 0 && len(s.Sealed) == 0 {
		return nil
	}
	root := constructs.NewConstruct(scope, jsii.String("secrets"))
	labels := pc.Labels{Name: "secrets", Instance: pc.Instance(pc.DefaultPartOf, e.Name), Component: "secrets", PartOf: pc.DefaultPartOf}
	read := func(w *wanted, k string) bool {
		return slices.Contains(w.required, k) || slices.Contains(w.optional, k)
	}

	sealed := map[string]pc.SealedSecretProps{}
	for i, props := range s.Sealed {
		name := props.Name
		w := want[name]
		switch {
		case name == "":
			addf("secrets.sealed[%d].name: is required", i)
			continue
		case sealed[name].Name != "":
			addf("secrets.sealed[%d].name: %q is sealed twice", i, name)
			continue
		case w == nil:
			addf("secrets.sealed[%d]: no service, consumer or receiver reads Secret %q", i, name)
		}
		if _, dup := s.Generated[name]; dup {
			addf("secrets.sealed[%d].name: %q is also in secrets.generated; a Secret has one producer", i, name)
		}
		sealed[name] = props
		if w != nil {
			for _, k := range slices.Sorted(maps.Keys(props.EncryptedData)) {
				if !read(w, k) {
					addf("secrets.sealed[%d].encryptedData[%s]: no service, consumer or receiver reads key %q of Secret %q", i, k, k, name)
				}
			}
			if len(w.labels) > 0 {
				props.SecretLabels = maps.Clone(w.labels)
			}
		}
		props.Labels = labels
		c.SealedSecrets = append(c.SealedSecrets, pc.NewSealedSecret(root, name, props))
		c.Secrets = append(c.Secrets, SecretSource{Name: name, Producer: "SealedSecret", Keys: slices.Sorted(maps.Keys(props.EncryptedData)), Readers: readersOf(w)})
	}

	var generator *pc.PasswordGenerator
	for _, name := range slices.Sorted(maps.Keys(s.Generated)) {
		g := s.Generated[name]
		field := fmt.Sprintf("secrets.generated[%s]", name)
		w := want[name]
		if w == nil {
			addf("%s: no service, consumer or receiver reads Secret %q", field, name)
			continue
		}
		if _, dup := sealed[name]; dup {
			continue // reported above
		}
		if len(g.Passwords) == 0 {
			addf("%s.passwords: at least one key is required", field)
		}
		for i, k := range g.Passwords {
			if !read(w, k) {
				addf("%s.passwords[%d]: no service, consumer or receiver reads key %q of Secret %q", field, i, k, name)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(g.Values)) {
			if !read(w, k) {
				addf("%s.values[%s]: no service, consumer or receiver reads key %q of Secret %q", field, k, k, name)
			}
		}
		if generator == nil {
			generator = pc.NewPasswordGenerator(root, "PasswordGenerator", pc.PasswordGeneratorProps{Name: "password", Labels: labels})
			c.PasswordGenerator = generator
		}
		props := pc.ExternalSecretProps{Name: name, Labels: labels, Values: g.Values, SecretLabels: nilIfEmpty(w.labels), Retain: true}
		for _, k := range g.Passwords {
			props.Generated = append(props.Generated, pc.GeneratedKey{Key: k, Generator: generator})
		}
		es := pc.NewExternalSecret(root, name, props)
		c.ExternalSecrets = append(c.ExternalSecrets, es)
		c.Secrets = append(c.Secrets, SecretSource{Name: name, Producer: "ExternalSecret (generated)", Keys: es.Keys(), Readers: readersOf(w)})
	}

	// Everything else is read from the store.
	var fromStore, remotes []string
	for _, name := range slices.Sorted(maps.Keys(want)) {
		_, isSealed := sealed[name]
		_, isGenerated := s.Generated[name]
		if !isSealed && !isGenerated {
			fromStore = append(fromStore, name)
			remote, _ := RemoteName(s.Store, e.Name, name, "")
			remotes = append(remotes, remote)
		}
	}
	var store *pc.SecretStore
	if s.Store != nil && len(fromStore) == 0 {
		addf("secrets.store: no Secret is read from it; every Secret is generated or sealed, so remove the store")
	} else if s.Store != nil {
		props := *s.Store
		props.Labels = labels
		if k := props.Kubernetes; k != nil {
			kube := *k
			if kube.Namespace == "" {
				kube.Namespace = e.Namespace
				if len(validation.IsDNS1123Label(e.Namespace)) > 0 {
					kube.Namespace = "invalid" // reported once, as namespace
				}
			} else if kube.Namespace != e.Namespace {
				addf("secrets.store.kubernetes.namespace: %q is not the environment's namespace %q; the store's Role can only grant reading there", kube.Namespace, e.Namespace)
			}
			if len(kube.Secrets) == 0 {
				kube.Secrets = remotes
			}
			for _, r := range remotes {
				if !slices.Contains(kube.Secrets, r) {
					addf("secrets.store.kubernetes.secrets: %q is read from the store but not listed; leave the list empty to derive it", r)
				}
			}
			props.Kubernetes = &kube
		}
		store = pc.NewSecretStore(root, "SecretStore", props)
		c.SecretStore = store
		switch {
		case s.RefreshInterval <= 0:
			addf("secrets.refreshInterval: is required with a store; say how soon a rotated value reaches the pods")
		case s.RefreshInterval < time.Minute:
			addf("secrets.refreshInterval: %s would call the store more than once a minute per Secret; use a minute or more", s.RefreshInterval)
		}
	} else if s.RefreshInterval != 0 {
		addf("secrets.refreshInterval: there is no store to refresh from")
	}
	for _, name := range fromStore {
		w := want[name]
		if store == nil {
			for _, r := range readers {
				for _, ref := range r.refs {
					if ref.Secret == name && !ref.Optional {
						pc.AddProblems(r.construct, fmt.Sprintf("%s: Secret %q has no producer: the environment has no secret store, and does not generate or seal it", ref.Field, name))
					}
				}
			}
			continue
		}
		if len(w.required) > 0 && len(w.optional) > 0 {
			addf("secrets: Secret %q is read with required keys (%s) and optional keys (%s); a missing optional value would keep the required ones from the pods, so keep optional keys in a Secret of their own",
				name, strings.Join(w.required, ", "), strings.Join(w.optional, ", "))
			continue
		}
		props := pc.ExternalSecretProps{
			Name: name, Labels: labels, Store: store, SecretLabels: nilIfEmpty(w.labels),
			// A missing interval is reported once, as secrets.refreshInterval.
			RefreshInterval: max(s.RefreshInterval, time.Minute), Retain: true,
		}
		if len(w.required) == 0 {
			props.Extract, _ = RemoteName(s.Store, e.Name, name, "")
			props.Optional = true
		} else {
			for _, k := range w.required {
				remote, property := RemoteName(s.Store, e.Name, name, k)
				props.Keys = append(props.Keys, pc.RemoteKey{Key: k, Remote: remote, Property: property})
			}
		}
		if s.Store.GoogleSecretManager != nil {
			for _, r := range append([]string{props.Extract}, remoteNames(props.Keys)...) {
				if r != "" && !googleSecretID.MatchString(r) {
					addf("secrets: Secret %q would be read from Secret Manager as %q, which is not a secret ID (letters, digits, '-' and '_', at most 255)", name, r)
				}
			}
		}
		es := pc.NewExternalSecret(root, name, props)
		c.ExternalSecrets = append(c.ExternalSecrets, es)
		c.Secrets = append(c.Secrets, SecretSource{
			Name: name, Producer: fmt.Sprintf("ExternalSecret (store %s)", store.Name()), FromStore: true,
			Keys: es.Keys(), Extracted: es.Extracts(), Readers: readersOf(w),
		})
	}

	// A required key the producer lacks.
	for _, r := range readers {
		for _, ref := range r.refs {
			if ref.Optional {
				continue
			}
			if props, ok := sealed[ref.Secret]; ok {
				if _, has := props.EncryptedData[ref.Key]; !has {
					pc.AddProblems(r.construct, fmt.Sprintf("%s: Secret %q is sealed without key %q", ref.Field, ref.Secret, ref.Key))
				}
			} else if g, ok := s.Generated[ref.Secret]; ok {
				if _, has := g.Values[ref.Key]; !has && !slices.Contains(g.Passwords, ref.Key) {
					pc.AddProblems(r.construct, fmt.Sprintf("%s: Secret %q is generated without key %q; add it to secrets.generated[%s]", ref.Field, ref.Secret, ref.Key, ref.Secret))
				}
			}
		}
	}
	slices.SortFunc(c.Secrets, func(a, b SecretSource) int { return cmp.Compare(a.Name, b.Name) })
	annotateSecretsLayer(c, e.Umbrella == nil)
	return problems
}

var googleSecretID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

func remoteNames(keys []pc.RemoteKey) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.Remote)
	}
	return out
}

// Argo CD sync waves of the secrets layer. Argo CD applies a wave, waits
// until it is healthy, then applies the next: the store (with its
// ServiceAccount and Role) and the generator, then the ExternalSecrets and
// SealedSecrets, then the migration Jobs (pc.MigrationSyncWave), then
// everything else (wave 0).
const (
	StoreSyncWave  = "-3"
	SecretSyncWave = "-2"
)

// annotateSecretsLayer annotates the secrets layer for the two installers.
//
// Helm creates the layer's objects with the release and, on a first
// install, runs the migration Jobs after them (post-install); the External
// Secrets Operator fills the Secrets meanwhile. With waves, Argo CD
// applies the layer in the waves above, before the migrations. An umbrella
// chart gets no waves: its secrets operator is one of its own
// dependencies, in wave 0, so an earlier wave waiting for the
// ExternalSecrets to be Ready would never end; its migrations run after
// the sync instead (Migration.AfterSync).
//
// Generated Secrets are kept by both (helm.sh/resource-policy: keep, and
// Argo CD's Delete=false and Prune=false): the operator generates a
// password again whenever it meets an ExternalSecret without status, so an
// uninstall and reinstall would otherwise hand the data store a password
// other than the one it was initialised with. Kept, the ExternalSecret is
// adopted by the next install as it is.
func annotateSecretsLayer(c *Composition, waves bool) {
	annotate := func(a cdk8s.ApiObject, wave string, keep bool) {
		md := a.Metadata()
		if waves {
			md.AddAnnotation(jsii.String("argocd.argoproj.io/sync-wave"), jsii.String(wave))
		}
		if keep {
			md.AddAnnotation(jsii.String("helm.sh/resource-policy"), jsii.String("keep"))
			md.AddAnnotation(jsii.String("argocd.argoproj.io/sync-options"), jsii.String("Delete=false,Prune=false"))
		}
	}
	if c.SecretStore != nil {
		for _, a := range c.SecretStore.ApiObjects() {
			annotate(a, StoreSyncWave, false)
		}
	}
	if c.PasswordGenerator != nil {
		annotate(c.PasswordGenerator.ApiObject, StoreSyncWave, true)
	}
	for _, es := range c.ExternalSecrets {
		annotate(es.ApiObject, SecretSyncWave, es.Generates())
	}
	for _, ss := range c.SealedSecrets {
		annotate(ss.ApiObject, SecretSyncWave, false)
	}
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	list = append(list, s)
	slices.Sort(list)
	return list
}

func readersOf(w *wanted) []string {
	if w == nil {
		return nil
	}
	return slices.Clone(w.readers)
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// developerStore is dev's store: Secrets that developers create by hand in
// the namespace, for the optional provider keys (see docs/secrets.md).
func developerStore() *pc.SecretStoreProps {
	return &pc.SecretStoreProps{Name: "developer-secrets", Kubernetes: &pc.KubernetesSecrets{}}
}

// googleStore is a Google Secret Manager store in project, authenticated
// by workload identity as the external-secrets service account.
func googleStore(project string) *pc.SecretStoreProps {
	return &pc.SecretStoreProps{
		Name: "google-secret-manager",
		GoogleSecretManager: &pc.GoogleSecretManager{
			ProjectID:      project,
			ServiceAccount: "external-secrets@" + project + ".iam.gserviceaccount.com",
		},
	}
}

// devDataStores are dev's data-store credentials, generated in the
// cluster: the services and the dev umbrella's middleware read the same
// Secrets.
func devDataStores() map[string]GeneratedSecret {
	return map[string]GeneratedSecret{
		apps.PostgresSecret:    {Passwords: []string{"postgres-password"}, Values: map[string]string{"postgres-username": "telepace", "postgres-database": "telepace"}},
		apps.RedisSecret:       {Passwords: []string{"redis-password"}},
		apps.ObjectStoreSecret: {Passwords: []string{"secret-key"}, Values: map[string]string{"access-key": "telepace"}},
		devGrafanaAdmin:        {Passwords: []string{"admin-password"}, Values: map[string]string{"admin-user": "admin"}},
	}
}
