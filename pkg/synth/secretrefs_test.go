package synth_test

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/environments/environmentstest"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/synth"
)

// produced is what the chart's producers put in one Secret.
type produced struct {
	by      string
	keys    map[string]bool
	extract bool // plus whatever keys a store value has
	labels  map[string]string
}

// producers reads the chart's ExternalSecrets and SealedSecrets, and
// checks that each ExternalSecret's store and generators are in the chart.
func producers(objs []synth.Object) (map[string]*produced, []string) {
	var problems []string
	stores, generators := map[string]bool{}, map[string]bool{}
	for _, o := range objs {
		switch o.Kind {
		case "SecretStore":
			stores[o.Name] = true
		case "Password":
			generators[o.Name] = true
		}
	}
	out := map[string]*produced{}
	add := func(name, by string) *produced {
		if p, dup := out[name]; dup {
			problems = append(problems, fmt.Sprintf("Secret %q is produced twice: by %s and %s", name, p.by, by))
		}
		p := &produced{by: by, keys: map[string]bool{}}
		out[name] = p
		return p
	}
	for _, o := range objs {
		switch o.Kind {
		case "ExternalSecret":
			var es struct {
				Spec struct {
					SecretStoreRef *struct{ Name string }
					Target         struct {
						Name     string
						Template *struct {
							Data     map[string]string
							Metadata *struct{ Labels map[string]string }
						}
					}
					Data []struct {
						SecretKey string `json:"secretKey"`
					}
					DataFrom []struct {
						Extract   *struct{ Key string }
						SourceRef *struct {
							GeneratorRef *struct{ Kind, Name string } `json:"generatorRef"`
						} `json:"sourceRef"`
						Rewrite []struct {
							Regexp *struct{ Source, Target string }
						}
					} `json:"dataFrom"`
				}
			}
			if err := yaml.Unmarshal(o.YAML, &es); err != nil {
				problems = append(problems, err.Error())
				continue
			}
			target := es.Spec.Target.Name
			if target == "" {
				target = o.Name
			}
			p := add(target, "ExternalSecret "+o.Name)
			if r := es.Spec.SecretStoreRef; r != nil && !stores[r.Name] {
				problems = append(problems, fmt.Sprintf("ExternalSecret %s reads SecretStore %q, which the chart does not have", o.Name, r.Name))
			}
			for _, d := range es.Spec.Data {
				p.keys[d.SecretKey] = true
			}
			for _, d := range es.Spec.DataFrom {
				switch {
				case d.Extract != nil:
					p.extract = true
				case d.SourceRef != nil && d.SourceRef.GeneratorRef != nil:
					g := d.SourceRef.GeneratorRef
					if g.Kind != "Password" || !generators[g.Name] {
						problems = append(problems, fmt.Sprintf("ExternalSecret %s uses %s %q, which the chart does not have", o.Name, g.Kind, g.Name))
					}
					// A Password generator's output is the key "password", renamed by
					// an exact rewrite.
					key := "password"
					for _, r := range d.Rewrite {
						if r.Regexp != nil && r.Regexp.Source == "^"+key+"$" {
							key = r.Regexp.Target
						}
					}
					p.keys[key] = true
				}
			}
			if t := es.Spec.Target.Template; t != nil {
				for k := range t.Data {
					p.keys[k] = true
				}
				if t.Metadata != nil {
					p.labels = t.Metadata.Labels
				}
			}
		case "SealedSecret":
			var ss struct {
				Spec struct {
					EncryptedData map[string]string `json:"encryptedData"`
					Template      struct {
						Metadata struct{ Labels map[string]string }
					}
				}
			}
			if err := yaml.Unmarshal(o.YAML, &ss); err != nil {
				problems = append(problems, err.Error())
				continue
			}
			p := add(o.Name, "SealedSecret "+o.Name)
			for k := range ss.Spec.EncryptedData {
				p.keys[k] = true
			}
			p.labels = ss.Spec.Template.Metadata.Labels
		}
	}
	return out, problems
}

type secretRef struct {
	where, secret, key string // key "" for a whole Secret
	optional           bool
	labels             map[string]string
}

// references reads every Secret reference in the chart's workloads, Kong
// consumers and AlertmanagerConfigs.
func references(t *testing.T, objs []synth.Object) []secretRef {
	var refs []secretRef
	type keyRef struct {
		Name     string
		Key      string
		Optional *bool
	}
	opt := func(b *bool) bool { return b != nil && *b }
	for _, o := range objs {
		where := o.Kind + " " + o.Name
		switch o.Kind {
		case "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob":
			var w struct {
				Spec struct {
					Template    podTemplate
					JobTemplate struct {
						Spec struct{ Template podTemplate }
					} `json:"jobTemplate"`
				}
			}
			require.NoError(t, yaml.Unmarshal(o.YAML, &w))
			pod := w.Spec.Template.Spec
			if o.Kind == "CronJob" {
				pod = w.Spec.JobTemplate.Spec.Template.Spec
			}
			for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
				for _, e := range c.Env {
					if r := e.ValueFrom.SecretKeyRef; r != nil {
						refs = append(refs, secretRef{where: where + " env " + e.Name, secret: r.Name, key: r.Key, optional: opt(r.Optional)})
					}
				}
				for _, e := range c.EnvFrom {
					if r := e.SecretRef; r != nil {
						refs = append(refs, secretRef{where: where + " envFrom", secret: r.Name, optional: opt(r.Optional)})
					}
				}
			}
			for _, v := range pod.Volumes {
				if s := v.Secret; s != nil {
					if len(s.Items) == 0 {
						refs = append(refs, secretRef{where: where + " volume " + v.Name, secret: s.SecretName, optional: opt(s.Optional)})
					}
					for _, it := range s.Items {
						refs = append(refs, secretRef{where: where + " volume " + v.Name, secret: s.SecretName, key: it.Key, optional: opt(s.Optional)})
					}
				}
			}
		case "KongConsumer":
			var k struct{ Credentials []string }
			require.NoError(t, yaml.Unmarshal(o.YAML, &k))
			for _, name := range k.Credentials {
				refs = append(refs, secretRef{where: where + " credentials", secret: name, labels: map[string]string{pc.KongCredentialLabel: ""}})
			}
		case "AlertmanagerConfig":
			var a struct {
				Spec struct {
					Receivers []struct {
						Name             string
						PagerdutyConfigs []struct {
							RoutingKey *keyRef `json:"routingKey"`
						} `json:"pagerdutyConfigs"`
						SlackConfigs []struct {
							APIURL *keyRef `json:"apiURL"`
						} `json:"slackConfigs"`
					}
				}
			}
			require.NoError(t, yaml.Unmarshal(o.YAML, &a))
			for _, r := range a.Spec.Receivers {
				for _, p := range r.PagerdutyConfigs {
					refs = append(refs, secretRef{where: where + " receiver " + r.Name, secret: p.RoutingKey.Name, key: p.RoutingKey.Key})
				}
				for _, s := range r.SlackConfigs {
					refs = append(refs, secretRef{where: where + " receiver " + r.Name, secret: s.APIURL.Name, key: s.APIURL.Key})
				}
			}
		}
	}
	return refs
}

type podTemplate struct {
	Spec struct {
		InitContainers []container `json:"initContainers"`
		Containers     []container
		Volumes        []struct {
			Name   string
			Secret *struct {
				SecretName string `json:"secretName"`
				Optional   *bool
				Items      []struct{ Key string }
			}
		}
	}
}

type container struct {
	Env []struct {
		Name      string
		ValueFrom struct {
			SecretKeyRef *struct {
				Name, Key string
				Optional  *bool
			} `json:"secretKeyRef"`
		} `json:"valueFrom"`
	}
	EnvFrom []struct {
		SecretRef *struct {
			Name     string
			Optional *bool
		} `json:"secretRef"`
	} `json:"envFrom"`
}

// danglingReferences names every reference in objs that nothing in objs
// produces: a missing Secret, a missing key, or a Kong credential Secret
// without its type label. Optional references may dangle.
func danglingReferences(t *testing.T, objs []synth.Object) []string {
	made, problems := producers(objs)
	for _, r := range references(t, objs) {
		p := made[r.secret]
		switch {
		case r.optional:
		case p == nil:
			problems = append(problems, fmt.Sprintf("%s: Secret %q is produced by nothing", r.where, r.secret))
		case r.key != "" && !p.keys[r.key]:
			problems = append(problems, fmt.Sprintf("%s: %s does not produce key %q of Secret %q (it has %s)", r.where, p.by, r.key, r.secret, strings.Join(slices.Sorted(maps.Keys(p.keys)), ", ")))
		}
		for k := range r.labels {
			if p != nil && p.labels[k] == "" {
				problems = append(problems, fmt.Sprintf("%s: %s does not label Secret %q %s", r.where, p.by, r.secret, k))
			}
		}
	}
	return problems
}

// TestEverySecretReferenceResolves: in every environment, each Secret a
// workload, a Kong consumer or an Alertmanager receiver reads is produced
// in the same chart, with the key it reads; only optional references may
// dangle. It also runs on dev with a Kong consumer of each credential
// kind, whose Secrets must carry Kong's credential label.
func TestEverySecretReferenceResolves(t *testing.T) {
	withConsumers := dev()
	withConsumers.Name = "kong"
	withConsumers.Gateway.Consumers = []pc.KongConsumerProps{{Name: "partner", Credentials: []pc.ConsumerCredential{
		{Secret: "partner-key", Type: "key-auth"},
		{Secret: "partner-jwt", Type: "jwt"},
		{Secret: "partner-rsa", Type: "jwt", Algorithm: "RS256"},
	}}}
	envs := append(environments.All(), withConsumers)
	resolved, err := synth.Resolve(envs)
	require.NoError(t, err)
	for _, env := range envs {
		objs := resolved[env.Name].Objects
		refs := references(t, objs)
		require.True(t, slices.ContainsFunc(refs, func(r secretRef) bool { return strings.HasPrefix(r.where, "Deployment ") }),
			"%s: no Deployment reads a Secret: the reference reader is broken", env.Name)
		credentials := 0
		for _, r := range env.Monitoring.Receivers {
			if r.PagerDuty != nil || r.Slack != nil {
				credentials++
			}
		}
		receiverRefs := slices.DeleteFunc(slices.Clone(refs), func(r secretRef) bool { return !strings.HasPrefix(r.where, "AlertmanagerConfig ") })
		require.Len(t, receiverRefs, credentials, "%s: one reference per receiver credential, or the reference reader is broken", env.Name)
		assert.Empty(t, danglingReferences(t, objs), env.Name)
	}
	made, _ := producers(resolved["kong"].Objects)
	require.Contains(t, made, "partner-rsa")
	assert.Equal(t, map[string]bool{"key": true, "algorithm": true, "rsa_public_key": true}, made["partner-rsa"].keys)
	assert.Equal(t, "jwt", made["partner-rsa"].labels[pc.KongCredentialLabel])
}

// TestDanglingReferencesAreNamed: the check above fails, naming each
// dangling reference, when a producer is missing, lacks a key or a label,
// or reads a store the chart does not have.
func TestDanglingReferencesAreNamed(t *testing.T) {
	resolved, err := synth.Resolve([]environments.Environment{environmentstest.Lookup("prod")})
	require.NoError(t, err)
	var objs []synth.Object
	for _, o := range resolved["prod"].Objects {
		switch {
		case o.Kind == "ExternalSecret" && o.Name == "telepace-redis":
			continue // a missing producer
		case o.Kind == "SecretStore":
			continue // every ExternalSecret's store goes missing
		case o.Kind == "ExternalSecret" && o.Name == "alertmanager-pagerduty":
			o.YAML = []byte(strings.Replace(string(o.YAML), "secretKey: routing-key", "secretKey: routing_key", 1))
		}
		objs = append(objs, o)
	}
	objs = append(objs, synth.Object{Kind: "KongConsumer", Name: "partner", YAML: []byte("kind: KongConsumer\ncredentials: [voiceflow-credentials]\n")})
	problems := danglingReferences(t, objs)
	slices.Sort(problems)
	assert.Equal(t, []string{
		`AlertmanagerConfig telepace-alerts receiver pager: ExternalSecret alertmanager-pagerduty does not produce key "routing-key" of Secret "alertmanager-pagerduty" (it has routing_key)`,
		`Deployment feedback-collection-api env REDIS_PASSWORD: Secret "telepace-redis" is produced by nothing`,
		`ExternalSecret alertmanager-pagerduty reads SecretStore "google-secret-manager", which the chart does not have`,
		`ExternalSecret alertmanager-slack reads SecretStore "google-secret-manager", which the chart does not have`,
		`ExternalSecret telepace-object-store reads SecretStore "google-secret-manager", which the chart does not have`,
		`ExternalSecret telepace-postgres reads SecretStore "google-secret-manager", which the chart does not have`,
		`ExternalSecret voiceflow-credentials reads SecretStore "google-secret-manager", which the chart does not have`,
		`Job feedback-collection-api-migrate env REDIS_PASSWORD: Secret "telepace-redis" is produced by nothing`,
		`KongConsumer partner credentials: ExternalSecret voiceflow-credentials does not label Secret "voiceflow-credentials" konghq.com/credential`,
	}, problems)
}

// TestSecretsLayerInstallsFirst checks the install order and lifetime of
// the secrets layer, in every environment:
//   - no Secret producer is a Helm hook (a hook is re-created on every
//     upgrade, and the operator generates a password again for an
//     ExternalSecret without status);
//   - the migration Jobs, which read the database Secret, are post-install
//     and pre-upgrade hooks, never pre-install (which runs before any
//     producer exists); under Argo CD, Sync hooks in a wave after the layer;
//   - Argo CD waves: store, then ExternalSecrets, then migrations, then the
//     rest;
//   - every ExternalSecret orphans its Secret and keeps it when the store
//     value goes; generated ones, and their generator, survive uninstall.
func TestSecretsLayerInstallsFirst(t *testing.T) {
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	type meta struct {
		Metadata struct {
			Annotations map[string]string
			Labels      map[string]string
		}
		Spec struct {
			DataFrom []struct {
				SourceRef *struct{} `json:"sourceRef"`
			} `json:"dataFrom"`
			Target struct{ CreationPolicy, DeletionPolicy string } `json:"target"`
		}
	}
	wave := func(t *testing.T, what string, m meta) int {
		var w int
		_, err := fmt.Sscan(cmp.Or(m.Metadata.Annotations["argocd.argoproj.io/sync-wave"], "0"), &w)
		require.NoError(t, err, what)
		return w
	}
	for _, env := range environments.All() {
		if env.Umbrella != nil {
			continue // TestUmbrellaSecretsLayer
		}
		t.Run(env.Name, func(t *testing.T) {
			waves := map[string][]int{}
			for _, o := range resolved[env.Name].Objects {
				what := o.Kind + " " + o.Name
				var m meta
				require.NoError(t, yaml.Unmarshal(o.YAML, &m))
				a := m.Metadata.Annotations
				layer := m.Metadata.Labels[pc.LabelComponent] == "secrets"
				switch {
				case layer:
					assert.NotContains(t, a, "helm.sh/hook", what)
					switch o.Kind {
					case "ExternalSecret":
						waves["secret"] = append(waves["secret"], wave(t, what, m))
						assert.Equal(t, "Orphan", m.Spec.Target.CreationPolicy, what)
						assert.Contains(t, []string{"Retain", "Merge"}, m.Spec.Target.DeletionPolicy, what)
						generated := slices.ContainsFunc(m.Spec.DataFrom, func(d struct {
							SourceRef *struct{} `json:"sourceRef"`
						}) bool {
							return d.SourceRef != nil
						})
						if generated {
							assert.Equal(t, "keep", a["helm.sh/resource-policy"], what)
							assert.Equal(t, "Delete=false,Prune=false", a["argocd.argoproj.io/sync-options"], what)
						}
					case "SealedSecret":
						waves["secret"] = append(waves["secret"], wave(t, what, m))
					case "Password":
						waves["store"] = append(waves["store"], wave(t, what, m))
						assert.Equal(t, "keep", a["helm.sh/resource-policy"], what)
					default: // the store, its ServiceAccount, Role and RoleBinding
						waves["store"] = append(waves["store"], wave(t, what, m))
					}
				case o.Kind == "Secret", o.Kind == "ExternalSecret", o.Kind == "SecretStore", o.Kind == "SealedSecret", o.Kind == "Password":
					t.Errorf("%s is outside the secrets layer", what)
				case o.Kind == "Job":
					assert.Equal(t, "post-install,pre-upgrade", a["helm.sh/hook"], what)
					assert.Equal(t, "Sync", a["argocd.argoproj.io/hook"], what)
					waves["migration"] = append(waves["migration"], wave(t, what, m))
				default:
					waves["rest"] = append(waves["rest"], wave(t, what, m))
				}
			}
			for _, k := range []string{"store", "secret", "migration", "rest"} {
				require.NotEmpty(t, waves[k], "no %s objects", k)
			}
			assert.Less(t, slices.Max(waves["store"]), slices.Min(waves["secret"]), "store before ExternalSecrets")
			assert.Less(t, slices.Max(waves["secret"]), slices.Min(waves["migration"]), "ExternalSecrets before migrations")
			assert.Less(t, slices.Max(waves["migration"]), slices.Min(waves["rest"]), "migrations before Deployments")
		})
	}
}

// TestChartReadmeNamesTheStoreValues: the README of a chart that reads
// Google Secret Manager binds workload identity for the environment's own
// namespace and ServiceAccount, and creates exactly the store values its
// ExternalSecrets read.
func TestChartReadmeNamesTheStoreValues(t *testing.T) {
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	for _, c := range synthAll(t) {
		env, _ := environments.Lookup(c.Env)
		readme := string(c.Files["README.md"])
		if env.Secrets.Store == nil || env.Secrets.Store.GoogleSecretManager == nil {
			assert.NotContains(t, readme, "gcloud", c.Env)
			continue
		}
		assert.Contains(t, readme, fmt.Sprintf(".svc.id.goog[%s/%s]", env.Namespace, resolved[c.Env].Plan.Secrets.StoreName()), c.Env)
		var want []string
		for _, o := range resolved[c.Env].Objects {
			if o.Kind != "ExternalSecret" {
				continue
			}
			var es struct {
				Spec struct {
					Data []struct {
						RemoteRef struct{ Key string } `json:"remoteRef"`
					}
					DataFrom []struct{ Extract *struct{ Key string } } `json:"dataFrom"`
				}
			}
			require.NoError(t, yaml.Unmarshal(o.YAML, &es))
			for _, d := range es.Spec.Data {
				want = append(want, d.RemoteRef.Key)
			}
			for _, d := range es.Spec.DataFrom {
				if d.Extract != nil {
					want = append(want, d.Extract.Key)
				}
			}
		}
		var got []string
		for _, line := range strings.Split(readme, "\n") {
			if _, rest, ok := strings.Cut(line, "gcloud secrets create "); ok {
				got = append(got, strings.Fields(rest)[0])
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		assert.Equal(t, want, got, c.Env)
	}
}

// TestUmbrellaSecretsLayer: in an umbrella chart the secrets operator is a
// dependency in wave 0, so no object of the secrets layer is in an earlier
// wave (Argo CD would wait forever for ExternalSecrets nobody reconciles),
// and the migrations run after the sync (PostSync), once the database and
// the operator are up; generated Secrets are still kept.
func TestUmbrellaSecretsLayer(t *testing.T) {
	dev := environmentstest.Lookup("dev")
	require.NotNil(t, dev.Umbrella)
	resolved, err := synth.Resolve([]environments.Environment{dev})
	require.NoError(t, err)
	var migrations, kept int
	for _, o := range resolved["dev"].Objects {
		var m struct {
			Metadata struct {
				Annotations map[string]string
				Labels      map[string]string
			}
		}
		require.NoError(t, yaml.Unmarshal(o.YAML, &m))
		a := m.Metadata.Annotations
		assert.NotContains(t, a, "argocd.argoproj.io/sync-wave", "%s %s", o.Kind, o.Name)
		if o.Kind == "Job" {
			migrations++
			assert.Equal(t, "PostSync", a["argocd.argoproj.io/hook"], o.Name)
			assert.Equal(t, "post-install,pre-upgrade", a["helm.sh/hook"], o.Name)
		}
		if a["helm.sh/resource-policy"] == "keep" {
			kept++
		}
	}
	assert.Positive(t, migrations)
	assert.Equal(t, len(dev.Secrets.Generated)+1, kept, "every generated ExternalSecret and their generator")
}
