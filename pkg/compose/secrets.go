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

// secretsPlanner plans the secrets layer of one environment.
type secretsPlanner struct {
	e       environments.Environment
	readers []reader
	want    map[string]*wanted
	labels  pc.Labels
	sealed  map[string]pc.SealedSecretProps
	out     Secrets
	ps      problems
}

// planSecrets plans a producer for every Secret the plan reads.
func planSecrets(e environments.Environment, services []Service, consumers []pc.KongConsumerProps, alertmanager *pc.AlertmanagerConfigProps, deps []environments.Dependency) (Secrets, problems) {
	if len(services) == 0 {
		return Secrets{}, nil // reported as services; nothing reads a Secret
	}
	sp := &secretsPlanner{e: e, labels: layerLabels(e.Name, "secrets"), sealed: map[string]pc.SealedSecretProps{}}
	sp.collectReaders(services, consumers, alertmanager, deps)
	sp.collectWanted()
	s := e.Secrets
	if len(sp.want) == 0 && s.Store == nil && len(s.Generated) == 0 && len(s.Sealed) == 0 {
		return sp.out, sp.ps
	}
	sp.out.Planned = true
	sp.out.Waves = e.Umbrella == nil
	sp.planSealed()
	sp.planGenerated()
	fromStore := sp.planStore()
	sp.planFromStore(fromStore)
	sp.missingKeys()
	slices.SortFunc(sp.out.Sources, func(a, b SecretSource) int { return cmp.Compare(a.Name, b.Name) })
	return sp.out, sp.ps
}

// collectReaders gathers the Secret references of the services, the Kong
// consumers, the Alertmanager routing and the umbrella's charts.
func (sp *secretsPlanner) collectReaders(services []Service, consumers []pc.KongConsumerProps, alertmanager *pc.AlertmanagerConfigProps, deps []environments.Dependency) {
	for _, s := range services {
		sp.readers = append(sp.readers, reader{s.id, s.Props.SecretReferences()})
	}
	for _, k := range consumers {
		sp.readers = append(sp.readers, reader{"gateway/consumers/" + k.Name, k.SecretReferences()})
	}
	if alertmanager != nil {
		sp.readers = append(sp.readers, reader{"monitoring/alertmanager", alertmanager.SecretReferences()})
	}
	// The umbrella's charts read Secrets too: a construct per reading
	// dependency gives them a path, as "dev/umbrella/postgresql".
	for _, d := range deps {
		if len(d.Reads) > 0 {
			sp.out.UmbrellaReaders = append(sp.out.UmbrellaReaders, d.Key())
			sp.readers = append(sp.readers, reader{"umbrella/" + d.Key(), d.Reads})
		}
	}
}

// collectWanted merges the references into what is read of each Secret.
func (sp *secretsPlanner) collectWanted() {
	sp.want = map[string]*wanted{}
	for _, r := range sp.readers {
		path := sp.e.Name + "/" + r.path
		for _, ref := range r.refs {
			w := sp.want[ref.Secret]
			if w == nil {
				w = &wanted{labels: map[string]string{}}
				sp.want[ref.Secret] = w
			}
			if ref.Optional {
				w.optional = appendOnce(w.optional, ref.Key)
			} else {
				w.required = appendOnce(w.required, ref.Key)
			}
			for k, v := range ref.SecretLabels {
				if old, ok := w.labels[k]; ok && old != v {
					sp.ps.at(r.path, "%s: Secret %q must be labelled %s=%s, but another reader needs %s", ref.Field, ref.Secret, k, v, old)
				}
				w.labels[k] = v
			}
			if !slices.Contains(w.readers, path) {
				w.readers = append(w.readers, path)
			}
		}
	}
}

// reads says whether a key of w is read.
func (w *wanted) reads(k string) bool {
	return slices.Contains(w.required, k) || slices.Contains(w.optional, k)
}

// planSealed plans the SealedSecrets.
func (sp *secretsPlanner) planSealed() {
	s := sp.e.Secrets
	for i, props := range s.Sealed {
		name := props.Name
		w := sp.want[name]
		switch {
		case name == "":
			sp.ps.addf("secrets.sealed[%d].name: is required", i)
			continue
		case sp.sealed[name].Name != "":
			sp.ps.addf("secrets.sealed[%d].name: %q is sealed twice", i, name)
			continue
		case w == nil:
			sp.ps.addf("secrets.sealed[%d]: no service, consumer or receiver reads Secret %q", i, name)
		}
		if _, dup := s.Generated[name]; dup {
			sp.ps.addf("secrets.sealed[%d].name: %q is also in secrets.generated; a Secret has one producer", i, name)
		}
		sp.sealed[name] = props
		if w != nil {
			for _, k := range slices.Sorted(maps.Keys(props.EncryptedData)) {
				if !w.reads(k) {
					sp.ps.addf("secrets.sealed[%d].encryptedData[%s]: no service, consumer or receiver reads key %q of Secret %q", i, k, k, name)
				}
			}
			if len(w.labels) > 0 {
				props.SecretLabels = maps.Clone(w.labels)
			}
		}
		props.Labels = sp.labels
		sp.out.Sealed = append(sp.out.Sealed, props)
		sp.out.Sources = append(sp.out.Sources, SecretSource{Name: name, Producer: "SealedSecret", Keys: slices.Sorted(maps.Keys(props.EncryptedData)), Readers: readersOf(w)})
	}
}

// planGenerated plans the ExternalSecrets of generated passwords, and
// their generator.
func (sp *secretsPlanner) planGenerated() {
	generated := sp.e.Secrets.Generated
	for _, name := range slices.Sorted(maps.Keys(generated)) {
		g := generated[name]
		field := fmt.Sprintf("secrets.generated[%s]", name)
		w := sp.want[name]
		if w == nil {
			sp.ps.addf("%s: no service, consumer or receiver reads Secret %q", field, name)
			continue
		}
		if _, dup := sp.sealed[name]; dup {
			continue // reported as sealed
		}
		if len(g.Passwords) == 0 {
			sp.ps.addf("%s.passwords: at least one key is required", field)
		}
		for i, k := range g.Passwords {
			if !w.reads(k) {
				sp.ps.addf("%s.passwords[%d]: no service, consumer or receiver reads key %q of Secret %q", field, i, k, name)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(g.Values)) {
			if !w.reads(k) {
				sp.ps.addf("%s.values[%s]: no service, consumer or receiver reads key %q of Secret %q", field, k, k, name)
			}
		}
		if sp.out.Generator == nil {
			sp.out.Generator = &pc.PasswordGeneratorProps{Name: "password", Labels: sp.labels}
		}
		props := pc.ExternalSecretProps{Name: name, Labels: sp.labels, Values: g.Values, SecretLabels: nilIfEmpty(w.labels), Retain: true}
		for _, k := range g.Passwords {
			props.Generated = append(props.Generated, pc.GeneratedKey{Key: k})
		}
		sp.out.Generated = append(sp.out.Generated, props)
		sp.out.Sources = append(sp.out.Sources, SecretSource{Name: name, Producer: "ExternalSecret (generated)", Keys: props.SecretKeys(), Readers: readersOf(w)})
	}
}

// planStore plans the SecretStore, and returns the Secrets read from it:
// all that are neither sealed nor generated.
func (sp *secretsPlanner) planStore() (fromStore []string) {
	e, s := sp.e, sp.e.Secrets
	var remotes []string
	for _, name := range slices.Sorted(maps.Keys(sp.want)) {
		_, isSealed := sp.sealed[name]
		_, isGenerated := s.Generated[name]
		if !isSealed && !isGenerated {
			fromStore = append(fromStore, name)
			remote, _ := names.RemoteName(s.Store, e.Name, name, "")
			remotes = append(remotes, remote)
		}
	}
	switch {
	case s.Store != nil && len(fromStore) == 0:
		sp.ps.addf("secrets.store: no Secret is read from it; every Secret is generated or sealed, so remove the store")
		return fromStore
	case s.Store == nil:
		if s.RefreshInterval != 0 {
			sp.ps.addf("secrets.refreshInterval: there is no store to refresh from")
		}
		return fromStore
	}
	props := *s.Store
	props.Labels = sp.labels
	if k := props.Kubernetes; k != nil {
		kube := *k
		if kube.Namespace == "" {
			kube.Namespace = e.Namespace
			if len(validation.IsDNS1123Label(e.Namespace)) > 0 {
				kube.Namespace = "invalid" // reported once, as namespace
			}
		} else if kube.Namespace != e.Namespace {
			sp.ps.addf("secrets.store.kubernetes.namespace: %q is not the environment's namespace %q; the store's Role can only grant reading there", kube.Namespace, e.Namespace)
		}
		if len(kube.Secrets) == 0 {
			kube.Secrets = remotes
		}
		for _, r := range remotes {
			if !slices.Contains(kube.Secrets, r) {
				sp.ps.addf("secrets.store.kubernetes.secrets: %q is read from the store but not listed; leave the list empty to derive it", r)
			}
		}
		props.Kubernetes = &kube
	}
	sp.out.Store = &props
	switch {
	case s.RefreshInterval <= 0:
		sp.ps.addf("secrets.refreshInterval: is required with a store; say how soon a rotated value reaches the pods")
	case s.RefreshInterval < time.Minute:
		sp.ps.addf("secrets.refreshInterval: %s would call the store more than once a minute per Secret; use a minute or more", s.RefreshInterval)
	}
	return fromStore
}

// planFromStore plans an ExternalSecret of the store for each Secret read
// from it, or, without a store, reports each required reference.
func (sp *secretsPlanner) planFromStore(fromStore []string) {
	e, s := sp.e, sp.e.Secrets
	for _, name := range fromStore {
		w := sp.want[name]
		if sp.out.Store == nil {
			sp.unproduced(name)
			continue
		}
		if len(w.required) > 0 && len(w.optional) > 0 {
			sp.ps.addf("secrets: Secret %q is read with required keys (%s) and optional keys (%s); a missing optional value would keep the required ones from the pods, so keep optional keys in a Secret of their own",
				name, strings.Join(w.required, ", "), strings.Join(w.optional, ", "))
			continue
		}
		props := pc.ExternalSecretProps{
			Name: name, Labels: sp.labels, SecretLabels: nilIfEmpty(w.labels),
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
					sp.ps.addf("secrets: Secret %q would be read from Secret Manager as %q, which is not a secret ID (letters, digits, '-' and '_', at most 255)", name, r)
				}
			}
		}
		sp.out.FromStore = append(sp.out.FromStore, props)
		sp.out.Sources = append(sp.out.Sources, SecretSource{
			Name: name, Producer: fmt.Sprintf("ExternalSecret (store %s)", sp.out.StoreName()), FromStore: true,
			Keys: props.SecretKeys(), Extracted: props.Extract != "", Readers: readersOf(w),
			Extract: props.Extract, Remote: props.Keys,
		})
	}
}

// unproduced reports each required reference to a Secret nothing
// produces, at its reader.
func (sp *secretsPlanner) unproduced(name string) {
	for _, r := range sp.readers {
		for _, ref := range r.refs {
			if ref.Secret == name && !ref.Optional {
				sp.ps.at(r.path, "%s: Secret %q has no producer: the environment has no secret store, and does not generate or seal it", ref.Field, name)
			}
		}
	}
}

// missingKeys reports each required key a sealed or generated Secret
// lacks, at its reader.
func (sp *secretsPlanner) missingKeys() {
	generated := sp.e.Secrets.Generated
	for _, r := range sp.readers {
		for _, ref := range r.refs {
			if ref.Optional {
				continue
			}
			if props, ok := sp.sealed[ref.Secret]; ok {
				if _, has := props.EncryptedData[ref.Key]; !has {
					sp.ps.at(r.path, "%s: Secret %q is sealed without key %q", ref.Field, ref.Secret, ref.Key)
				}
			} else if g, ok := generated[ref.Secret]; ok {
				if _, has := g.Values[ref.Key]; !has && !slices.Contains(g.Passwords, ref.Key) {
					sp.ps.at(r.path, "%s: Secret %q is generated without key %q; add it to secrets.generated[%s]", ref.Field, ref.Secret, ref.Key, ref.Secret)
				}
			}
		}
	}
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
