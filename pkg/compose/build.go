package compose

import (
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"

	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// Built is what Build added to the construct tree.
type Built struct {
	// Services are the microservices, by name.
	Services map[string]*pc.Microservice
	// SecretStore, PasswordGenerator, ExternalSecrets and SealedSecrets
	// are the secrets layer's constructs.
	SecretStore       *pc.SecretStore
	PasswordGenerator *pc.PasswordGenerator
	ExternalSecrets   []*pc.ExternalSecret
	SealedSecrets     []*pc.SealedSecret

	// made are the constructs Build made, by their path below the chart,
	// that problems may name.
	made map[string]constructs.Construct
}

// record keeps c as the construct at path, and returns it.
func (b *Built) record(path string, c constructs.Construct) constructs.Construct {
	b.made[path] = c
	return c
}

// Build adds the constructs of p to scope, the environment's chart, layer
// by layer, and registers every problem of the plan as a validation of
// the construct at its path, so that cdk8s reports them with every other
// problem when the app is synthesised.
func Build(scope constructs.Construct, p Plan) *Built {
	b := &Built{Services: map[string]*pc.Microservice{}, made: map[string]constructs.Construct{"": scope}}
	for _, s := range p.Services {
		ms := pc.NewMicroservice(scope, s.id, s.Props)
		b.Services[s.Name] = ms
		b.record(s.id, ms.Construct)
	}
	buildGateway(scope, p, b)
	buildMonitoring(scope, p, b)
	buildSecrets(scope, p, b)
	b.attach(p.Problems)
	return b
}

func buildGateway(scope constructs.Construct, p Plan, b *Built) {
	g := p.Gateway
	if !g.Planned {
		return
	}
	gw := b.record("gateway", pc.NewScope(scope, "gateway"))
	if g.Gateway != nil {
		pc.NewGateway(gw, p.Env.Gateway.Ref.Name, *g.Gateway)
	}
	pluginScope := pc.NewScope(gw, "plugins")
	clusterScope := pc.NewScope(gw, "cluster-plugins")
	consumerScope := pc.NewScope(gw, "consumers")
	for _, props := range g.Plugins {
		b.record("gateway/plugins/"+props.Name, pc.NewKongPlugin(pluginScope, props.Name, props).Construct)
	}
	for _, props := range g.ClusterPlugins {
		b.record("gateway/cluster-plugins/"+props.Name, pc.NewKongClusterPlugin(clusterScope, props.Name, props).Construct)
	}
	for _, props := range g.Consumers {
		b.record("gateway/consumers/"+props.Name, pc.NewKongConsumer(consumerScope, props.Name, props).Construct)
	}
	for _, r := range g.Routes {
		backend := b.Services[r.Backend]
		props := r.Props
		props.Backend = backend
		pc.NewHTTPRoute(backend.Construct, r.ID, props)
	}
}

func buildMonitoring(scope constructs.Construct, p Plan, b *Built) {
	m := p.Monitoring
	if m.Alertmanager == nil {
		return
	}
	// Per service: its ServiceMonitor, rule and dashboard, in that order.
	for _, s := range p.Services {
		ms := b.Services[s.Name]
		for _, sm := range m.ServiceMonitors {
			if sm.Service == s.Name {
				props := sm.Props
				props.Service = ms
				pc.NewServiceMonitor(ms.Construct, sm.ID, props)
			}
		}
		for _, r := range m.Rules {
			if r.Service == s.Name {
				pc.NewPrometheusRule(ms.Construct, r.ID, r.Props)
			}
		}
		for _, d := range m.Dashboards {
			if d.Service == s.Name {
				pc.NewGrafanaDashboard(ms.Construct, d.ID, d.Props)
			}
		}
	}
	mon := b.record("monitoring", pc.NewScope(scope, "monitoring"))
	b.record("monitoring/alertmanager", pc.NewAlertmanagerConfig(mon, "alertmanager", *m.Alertmanager).Construct)
	for _, d := range m.Dashboards {
		if d.Service == "" {
			pc.NewGrafanaDashboard(mon, d.ID, d.Props)
		}
	}
}

func buildSecrets(scope constructs.Construct, p Plan, b *Built) {
	s := p.Secrets
	if len(s.UmbrellaReaders) > 0 {
		umbrella := b.record("umbrella", pc.NewScope(scope, "umbrella"))
		for _, key := range s.UmbrellaReaders {
			b.record("umbrella/"+key, pc.NewScope(umbrella, key))
		}
	}
	if !s.Planned {
		return
	}
	root := pc.NewScope(scope, "secrets")
	for _, props := range s.Sealed {
		b.SealedSecrets = append(b.SealedSecrets, pc.NewSealedSecret(root, props.Name, props))
	}
	for _, props := range s.Generated {
		if b.PasswordGenerator == nil {
			b.PasswordGenerator = pc.NewPasswordGenerator(root, "PasswordGenerator", *s.Generator)
		}
		keys := make([]pc.GeneratedKey, len(props.Generated))
		for i, k := range props.Generated {
			keys[i] = pc.GeneratedKey{Key: k.Key, Generator: b.PasswordGenerator}
		}
		props.Generated = keys
		b.ExternalSecrets = append(b.ExternalSecrets, pc.NewExternalSecret(root, props.Name, props))
	}
	if s.Store != nil {
		b.SecretStore = pc.NewSecretStore(root, StoreID, *s.Store)
	}
	for _, props := range s.FromStore {
		props.Store = b.SecretStore
		b.ExternalSecrets = append(b.ExternalSecrets, pc.NewExternalSecret(root, props.Name, props))
	}
	annotateSecretsLayer(b, s.Waves)
}

// BuildDelivery adds the Argo CD objects of d to scope, the chart of
// charts/generated/argocd.
func BuildDelivery(scope constructs.Construct, d Delivery) {
	(&Built{made: map[string]constructs.Construct{"": scope}}).attach(d.Problems)
	projects := map[string]*pc.ArgoProject{}
	for _, p := range d.Projects {
		projects[p.ID] = pc.NewArgoProject(scope, p.ID, p.Props)
	}
	for _, a := range d.Applications {
		props := a.Props
		props.Project = projects[a.Service]
		pc.NewArgoApplication(scope, a.ID, props)
	}
}

// attach registers each problem as a validation of the construct at its
// path, in the order given.
func (b *Built) attach(ps []Problem) {
	byPath := map[string][]string{}
	var paths []string
	for _, p := range ps {
		if _, ok := byPath[p.Path]; !ok {
			paths = append(paths, p.Path)
		}
		byPath[p.Path] = append(byPath[p.Path], p.Message)
	}
	for _, path := range paths {
		pc.AddProblems(b.find(path), byPath[path]...)
	}
}

// find returns the construct Build made at path, or makes a plain one
// there, and its parents, for a path it did not make.
func (b *Built) find(path string) constructs.Construct {
	if c, ok := b.made[path]; ok {
		return c
	}
	parent, id := "", path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		parent, id = path[:i], path[i+1:]
	}
	return b.record(path, pc.NewScope(b.find(parent), id))
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
func annotateSecretsLayer(b *Built, waves bool) {
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
	if b.SecretStore != nil {
		for _, a := range b.SecretStore.ApiObjects() {
			annotate(a, StoreSyncWave, false)
		}
	}
	if b.PasswordGenerator != nil {
		annotate(b.PasswordGenerator.ApiObject, StoreSyncWave, true)
	}
	for _, es := range b.ExternalSecrets {
		annotate(es.ApiObject, SecretSyncWave, es.Generates())
	}
	for _, ss := range b.SealedSecrets {
		annotate(ss.ApiObject, SecretSyncWave, false)
	}
}
