package compose

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/telepace/platform-charts/environments"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

// Secrets is the secrets layer of a plan: a producer for every Secret the
// services, the Kong consumers, the Alertmanager receivers and the
// umbrella's charts read.
type Secrets struct {
	// Planned says the layer has objects: its constructs live under
	// "secrets".
	Planned bool
	// UmbrellaReaders are the keys of the umbrella's dependencies that
	// read Secrets; each gets a construct, "umbrella/<key>", to name it
	// as a reader.
	UmbrellaReaders []string
	// Sealed are the SealedSecrets.
	Sealed []pc.SealedSecretProps
	// Generator is the password generator of the Generated ExternalSecrets,
	// or nil; Generated are those ExternalSecrets, whose keys' Generator
	// Build sets.
	Generator *pc.PasswordGeneratorProps
	Generated []pc.ExternalSecretProps
	// Store is the SecretStore, or nil; FromStore are the ExternalSecrets
	// that read it, whose Store Build sets.
	Store     *pc.SecretStoreProps
	FromStore []pc.ExternalSecretProps
	// Sources are every Secret the environment reads and its producer,
	// sorted by name.
	Sources []SecretSource
	// Waves says the layer gets Argo CD sync waves: everywhere but in an
	// umbrella, whose secrets operator is one of its own dependencies.
	Waves bool
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
	// Extract is the store value the Secret is extracted from whole, and
	// Remote the store values its keys are read from; both are empty
	// unless FromStore.
	Extract string
	Remote  []pc.RemoteKey
}

// StoreID is the construct id, and default name, of the SecretStore.
const StoreID = "SecretStore"

// StoreName returns the name of the store s plans, or "".
func (s Secrets) StoreName() string {
	if s.Store == nil {
		return ""
	}
	return cmp.Or(s.Store.Name, StoreID)
}

// reader is the Secret references of one construct, by its path below
// the chart.
type reader struct {
	path string
	refs []pc.SecretReference
}

// wanted is what the environment reads of one Secret.
type wanted struct {
	required, optional []string // keys, sorted, each once
	labels             map[string]string
	readers            []string
}

// planSecrets plans a producer for every Secret the plan reads.
func planSecrets(e environments.Environment, services []Service, consumers []pc.KongConsumerProps, alertmanager *pc.AlertmanagerConfigProps, deps []environments.Dependency) (Secrets, problems) {
	var out Secrets
	var ps problems
	if len(services) == 0 {
		return out, nil // reported as services; nothing reads a Secret
	}
	var readers []reader
	for _, s := range services {
		readers = append(readers, reader{s.id, s.Props.SecretReferences()})
	}
	for _, k := range consumers {
		readers = append(readers, reader{"gateway/consumers/" + k.Name, k.SecretReferences()})
	}
	if alertmanager != nil {
		readers = append(readers, reader{"monitoring/alertmanager", alertmanager.SecretReferences()})
	}
	// The umbrella's charts read Secrets too: a construct per reading
	// dependency gives them a path, as "dev/umbrella/postgresql".
	for _, d := range deps {
		if len(d.Reads) > 0 {
			out.UmbrellaReaders = append(out.UmbrellaReaders, d.Key())
			readers = append(readers, reader{"umbrella/" + d.Key(), d.Reads})
		}
	}
	want := map[string]*wanted{}
	for _, r := range readers {
		path := e.Name + "/" + r.path
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
					ps.at(r.path, "%s: Secret %q must be labelled %s=%s, but another reader needs %s", ref.Field, ref.Secret, k, v, old)
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
		return out, ps
	}
	out.Planned = true
	out.Waves = e.Umbrella == nil
	labels := layerLabels(e.Name, "secrets")
	read := func(w *wanted, k string) bool {
		return slices.Contains(w.required, k) || slices.Contains(w.optional, k)
	}

	sealed := map[string]pc.SealedSecretProps{}
	for i, props := range s.Sealed {
		name := props.Name
		w := want[name]
		switch {
		case name == "":
			ps.addf("secrets.sealed[%d].name: is required", i)
			continue
		case sealed[name].Name != "":
			ps.addf("secrets.sealed[%d].name: %q is sealed twice", i, name)
			continue
		case w == nil:
			ps.addf("secrets.sealed[%d]: no service, consumer or receiver reads Secret %q", i, name)
		}
		if _, dup := s.Generated[name]; dup {
			ps.addf("secrets.sealed[%d].name: %q is also in secrets.generated; a Secret has one producer", i, name)
		}
		sealed[name] = props
		if w != nil {
			for _, k := range slices.Sorted(maps.Keys(props.EncryptedData)) {
				if !read(w, k) {
					ps.addf("secrets.sealed[%d].encryptedData[%s]: no service, consumer or receiver reads key %q of Secret %q", i, k, k, name)
				}
			}
			if len(w.labels) > 0 {
				props.SecretLabels = maps.Clone(w.labels)
			}
		}
		props.Labels = labels
		out.Sealed = append(out.Sealed, props)
		out.Sources = append(out.Sources, SecretSource{Name: name, Producer: "SealedSecret", Keys: slices.Sorted(maps.Keys(props.EncryptedData)), Readers: readersOf(w)})
	}

	for _, name := range slices.Sorted(maps.Keys(s.Generated)) {
		g := s.Generated[name]
		field := fmt.Sprintf("secrets.generated[%s]", name)
		w := want[name]
		if w == nil {
			ps.addf("%s: no service, consumer or receiver reads Secret %q", field, name)
			continue
		}
		if _, dup := sealed[name]; dup {
			continue // reported above
		}
		if len(g.Passwords) == 0 {
			ps.addf("%s.passwords: at least one key is required", field)
		}
		for i, k := range g.Passwords {
			if !read(w, k) {
				ps.addf("%s.passwords[%d]: no service, consumer or receiver reads key %q of Secret %q", field, i, k, name)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(g.Values)) {
			if !read(w, k) {
				ps.addf("%s.values[%s]: no service, consumer or receiver reads key %q of Secret %q", field, k, k, name)
			}
		}
		if out.Generator == nil {
			out.Generator = &pc.PasswordGeneratorProps{Name: "password", Labels: labels}
		}
		props := pc.ExternalSecretProps{Name: name, Labels: labels, Values: g.Values, SecretLabels: nilIfEmpty(w.labels), Retain: true}
		for _, k := range g.Passwords {
			props.Generated = append(props.Generated, pc.GeneratedKey{Key: k})
		}
		out.Generated = append(out.Generated, props)
		out.Sources = append(out.Sources, SecretSource{Name: name, Producer: "ExternalSecret (generated)", Keys: props.SecretKeys(), Readers: readersOf(w)})
	}

	// Everything else is read from the store.
	var fromStore, remotes []string
	for _, name := range slices.Sorted(maps.Keys(want)) {
		_, isSealed := sealed[name]
		_, isGenerated := s.Generated[name]
		if !isSealed && !isGenerated {
			fromStore = append(fromStore, name)
			remote, _ := names.RemoteName(s.Store, e.Name, name, "")
			remotes = append(remotes, remote)
		}
	}
	if s.Store != nil && len(fromStore) == 0 {
		ps.addf("secrets.store: no Secret is read from it; every Secret is generated or sealed, so remove the store")
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
				ps.addf("secrets.store.kubernetes.namespace: %q is not the environment's namespace %q; the store's Role can only grant reading there", kube.Namespace, e.Namespace)
			}
			if len(kube.Secrets) == 0 {
				kube.Secrets = remotes
			}
			for _, r := range remotes {
				if !slices.Contains(kube.Secrets, r) {
					ps.addf("secrets.store.kubernetes.secrets: %q is read from the store but not listed; leave the list empty to derive it", r)
				}
			}
			props.Kubernetes = &kube
		}
		out.Store = &props
		switch {
		case s.RefreshInterval <= 0:
			ps.addf("secrets.refreshInterval: is required with a store; say how soon a rotated value reaches the pods")
		case s.RefreshInterval < time.Minute:
			ps.addf("secrets.refreshInterval: %s would call the store more than once a minute per Secret; use a minute or more", s.RefreshInterval)
		}
	} else if s.RefreshInterval != 0 {
		ps.addf("secrets.refreshInterval: there is no store to refresh from")
	}
	for _, name := range fromStore {
		w := want[name]
		if out.Store == nil {
			for _, r := range readers {
				for _, ref := range r.refs {
					if ref.Secret == name && !ref.Optional {
						ps.at(r.path, "%s: Secret %q has no producer: the environment has no secret store, and does not generate or seal it", ref.Field, name)
					}
				}
			}
			continue
		}
		if len(w.required) > 0 && len(w.optional) > 0 {
			ps.addf("secrets: Secret %q is read with required keys (%s) and optional keys (%s); a missing optional value would keep the required ones from the pods, so keep optional keys in a Secret of their own",
				name, strings.Join(w.required, ", "), strings.Join(w.optional, ", "))
			continue
		}
		props := pc.ExternalSecretProps{
			Name: name, Labels: labels, SecretLabels: nilIfEmpty(w.labels),
			// A missing interval is reported once, as secrets.refreshInterval.
			RefreshInterval: max(s.RefreshInterval, time.Minute), Retain: true,
		}
		if len(w.required) == 0 {
			props.Extract, _ = names.RemoteName(s.Store, e.Name, name, "")
			props.Optional = true
		} else {
			for _, k := range w.required {
				remote, property := names.RemoteName(s.Store, e.Name, name, k)
				props.Keys = append(props.Keys, pc.RemoteKey{Key: k, Remote: remote, Property: property})
			}
		}
		if s.Store.GoogleSecretManager != nil {
			for _, r := range append([]string{props.Extract}, remoteNames(props.Keys)...) {
				if r != "" && !googleSecretID.MatchString(r) {
					ps.addf("secrets: Secret %q would be read from Secret Manager as %q, which is not a secret ID (letters, digits, '-' and '_', at most 255)", name, r)
				}
			}
		}
		out.FromStore = append(out.FromStore, props)
		out.Sources = append(out.Sources, SecretSource{
			Name: name, Producer: fmt.Sprintf("ExternalSecret (store %s)", out.StoreName()), FromStore: true,
			Keys: props.SecretKeys(), Extracted: props.Extract != "", Readers: readersOf(w),
			Extract: props.Extract, Remote: props.Keys,
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
					ps.at(r.path, "%s: Secret %q is sealed without key %q", ref.Field, ref.Secret, ref.Key)
				}
			} else if g, ok := s.Generated[ref.Secret]; ok {
				if _, has := g.Values[ref.Key]; !has && !slices.Contains(g.Passwords, ref.Key) {
					ps.at(r.path, "%s: Secret %q is generated without key %q; add it to secrets.generated[%s]", ref.Field, ref.Secret, ref.Key, ref.Secret)
				}
			}
		}
	}
	slices.SortFunc(out.Sources, func(a, b SecretSource) int { return cmp.Compare(a.Name, b.Name) })
	return out, ps
}

var googleSecretID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

func remoteNames(keys []pc.RemoteKey) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.Remote)
	}
	return out
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
