package compose_test

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/compose"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// badInputs are mistakes in environments/ (or in what an environment
// makes of its apps) that a layer of the composition reports. Each must
// fail with exactly these messages, and every message has the construct
// path cdk8s prefixes it with once Build attaches it. The mistakes the
// constructs report, and those synth reports across environments, are in
// pkg/synth's table.
var badInputs = []struct {
	name string
	envs func() []environments.Environment
	want []string
}{
	{
		name: "unknown service",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Services = append(e.Services, environments.Service{App: noService, Replicas: 1, Resources: environments.Resources("10m", "16Mi", "20m", "32Mi")})
			return e
		}),
		want: []string{fmt.Sprintf(`[dev] services[%d].app: unknown service %q; known services: %s`, len(dev().Services), noService, apps.KnownNames())},
	},
	{
		name: "two services claim the same name",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Services = append(e.Services, environments.Service{App: "collection", Name: "analysis", Replicas: 1, Resources: environments.Resources("10m", "16Mi", "20m", "32Mi")})
			return e
		}),
		want: []string{fmt.Sprintf(`[dev] services[%d].name: "analysis" is already claimed by services[%d]`, len(dev().Services), devIndex("analysis"))},
	},
	{
		name: "service name is not a DNS label",
		envs: one(func(e environments.Environment) environments.Environment {
			e = withService(e, "web", func(s *environments.Service) { s.Name = "Web" })
			e.Images["Web"] = e.Images["web"]
			delete(e.Images, "web")
			return e
		}),
		want: []string{fmt.Sprintf(`[dev] services[%d].name: "Web" is not a valid service name: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`, devIndex("web"))},
	},
	{
		name: "empty environment",
		envs: one(func(e environments.Environment) environments.Environment { e.Services, e.Images = nil, nil; return e }),
		want: []string{`[dev] services: the environment deploys no services`},
	},
	{
		name: "image for a service that is not deployed",
		envs: one(func(e environments.Environment) environments.Environment { e.Images[noService] = "main"; return e }),
		want: []string{`[dev] images[` + noService + `]: no service named "` + noService + `" is deployed`},
	},
	{
		name: "empty namespace",
		envs: one(func(e environments.Environment) environments.Environment { e.Namespace = ""; return e }),
		want: []string{`[dev] namespace: is required`},
	},
	{
		name: "invalid namespace",
		envs: one(func(e environments.Environment) environments.Environment { e.Namespace = "Telepace_Dev"; return e }),
		want: []string{`[dev] namespace: "Telepace_Dev" is not a valid namespace name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
	},
	{
		name: "a system namespace",
		envs: one(func(e environments.Environment) environments.Environment { e.Namespace = "kube-system"; return e }),
		want: []string{`[dev] namespace: "kube-system" is reserved for the Kubernetes system; install Telepace into a namespace of its own`},
	},
	{
		name: "a domain label DNS cannot resolve",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Domains.Web = strings.Repeat("w", 64) + ".telepace.cc"
			return e
		}),
		want: []string{`[dev] domains.web: "` + strings.Repeat("w", 64) + `.telepace.cc" has a label longer than 63 characters, which DNS cannot resolve`},
	},
	{
		name: "route to an unknown service",
		envs: one(func(e environments.Environment) environments.Environment {
			return customRoutes(e, "analysis", pc.Route{Host: "api.dev.telepace.cc", Path: "/api/" + noService, Service: noService})
		}),
		want: []string{`[dev/analysis] routes[0].service: unknown service "` + noService + `"; services in dev: ` + strings.Join(devServiceNames(), ", ")},
	},
	{
		name: "two services claim the same host, path and method",
		envs: one(func(e environments.Environment) environments.Environment {
			return customRoutes(e, "collection", pc.Route{Host: "api.dev.telepace.cc", Path: "/api/analysis/"})
		}),
		want: []string{`[dev] routes: every method of /api/analysis/ on api.dev.telepace.cc is claimed by both analysis routes[0] and collection routes[0]`},
	},
	{
		name: "a * CORS origin in prod",
		envs: func() []environments.Environment {
			e := lookup("prod")
			e.Gateway.Plugins = slices.Clone(e.Gateway.Plugins)
			for i, p := range e.Gateway.Plugins {
				if cors, ok := p.Config.(pc.CORS); ok {
					cors.Origins = []string{"https://telepace.cc", "*"}
					cors.Credentials = false
					e.Gateway.Plugins[i].Config = cors
				}
			}
			return []environments.Environment{e}
		},
		want: []string{`[prod/gateway/plugins/cors] config.origins[1]: "*" admits every origin; prod allows only the origins it lists`},
	},
	{
		name: "a plugin no route can find",
		envs: one(func(e environments.Environment) environments.Environment {
			e = customRoutes(e, "analysis", pc.Route{Host: "api.dev.telepace.cc", Path: "/api/analysis", Plugins: []string{"key-auth"}})
			e.Gateway.DefaultPlugins = append(slices.Clone(e.Gateway.DefaultPlugins), "jwt")
			return e
		}),
		want: []string{
			`[dev] gateway.defaultPlugins[4]: no plugin named "jwt" in gateway.plugins`,
			`[dev/analysis] routes[0].plugins[0]: no plugin named "key-auth" in the environment's gateway.plugins`,
		},
	},
	{
		name: "a route on a host the environment does not serve",
		envs: one(func(e environments.Environment) environments.Environment {
			return customRoutes(e, "web", pc.Route{Host: "evil.example.com", Path: "/"})
		}),
		want: []string{`[dev/web] routes[0].host: "evil.example.com" is neither of dev's hosts, api.dev.telepace.cc and dev.telepace.cc`},
	},
	{
		name: "an any-method route clashes with a method route on the same path",
		envs: one(func(e environments.Environment) environments.Environment {
			return customRoutes(e, "analysis", pc.Route{Host: "api.dev.telepace.cc", Path: "/ws", Exact: true})
		}),
		want: []string{`[dev] routes: GET /ws on api.dev.telepace.cc is claimed by both analysis routes[0] and voiceflow routes[0]`},
	},
	{
		name: "gateway placement mistakes",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Gateway.Ref.Namespace = "kong"
			e.Domains.Web = e.Domains.API
			return e
		}),
		want: []string{
			`[dev] gateway.ref.namespace: must be empty when the chart creates the Gateway; it lives in the release namespace telepace-dev`,
			`[dev] domains: the API and web hosts are both "api.dev.telepace.cc"; routes and listeners need two hosts`,
		},
	},
	{
		name: "cluster-wide plugins on a shared gateway",
		envs: func() []environments.Environment {
			e := lookup("prod")
			e.Gateway.ClusterPlugins = []pc.KongClusterPluginProps{{Name: "cors-everywhere", Global: true, Config: pc.CORS{Origins: []string{"*"}}}}
			return []environments.Environment{e}
		},
		want: []string{
			`[prod] gateway.clusterPlugins: only an environment whose chart creates the gateway may carry cluster-wide plugins; they would act on every route of the shared gateway`,
			`[prod/gateway/cluster-plugins/cors-everywhere] config.origins[0]: "*" admits every origin; prod allows only the origins it lists`,
		},
	},
	{
		name: "names used twice, consumers sharing a username and a Secret",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Gateway.ClusterPlugins = append(slices.Clone(e.Gateway.ClusterPlugins), pc.KongClusterPluginProps{Name: "prometheus", Config: pc.Prometheus{}})
			e.Gateway.Consumers = []pc.KongConsumerProps{
				{Name: "cors", Credentials: []pc.ConsumerCredential{{Secret: "shared-key", Type: "key-auth"}}},
				{Name: "partner", Username: "cors", Credentials: []pc.ConsumerCredential{{Secret: "shared-key", Type: "key-auth"}}},
			}
			return e
		}),
		want: []string{
			`[dev] gateway.clusterPlugins[1].name: "prometheus" is empty or used twice`,
			`[dev] gateway.consumers[1].username: "cors" is already gateway.consumers[0]'s; Kong needs unique usernames`,
			`[dev] gateway.consumers[1].credentials[0].secret: "shared-key" is already cors's credential; a credential belongs to one consumer`,
		},
	},
	{
		name: "a sampler ratio outside 0..1",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Monitoring.Tracing.SampleRatio = 1.5
			return e
		}),
		want: []string{`[dev] monitoring.tracing.sampleRatio: 1.5 is outside 0..1`},
	},
	{
		name: "alert thresholds that cannot fire",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Monitoring.Alerts.ErrorRatio = 5
			e.Monitoring.Alerts.LatencyP99Ms = 0
			e.Monitoring.SelectorLabels = nil
			return e
		}),
		want: []string{
			`[dev] monitoring.selectorLabels: at least one label is required, or no Prometheus picks the rules up`,
			`[dev] monitoring.alerts.errorRatio: 5 must be above 0 and below 1`,
			`[dev] monitoring.alerts.latencyP99Ms: 0 must be a positive number of milliseconds`,
		},
	},
	{
		name: "an alert policy that alerts on every blip or never",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Monitoring.Alerts.For = ""
			e.Monitoring.Alerts.LatencyP99Ms = math.NaN()
			e.Monitoring.Alerts.Severity = "page"
			e.Monitoring.SelectorLabels = map[string]string{"app.kubernetes.io/name": "x"}
			return e
		}),
		want: []string{
			`[dev] monitoring.selectorLabels[app.kubernetes.io/name]: would overwrite a recommended label; use the Prometheus release's own label`,
			`[dev] monitoring.alerts.latencyP99Ms: NaN must be a positive number of milliseconds`,
			`[dev] monitoring.alerts.for: "" must be a positive Prometheus duration such as 5m; without it every blip alerts`,
			`[dev] monitoring.alerts.severity: "page" is not one of critical, warning, info`,
		},
	},
	{
		name: "generated keys and Secrets nobody reads",
		envs: one(func(e environments.Environment) environments.Environment {
			gen := maps.Clone(e.Secrets.Generated)
			pg := gen["telepace-postgres"]
			pg.Passwords = append(slices.Clone(pg.Passwords), "admin-password")
			gen["telepace-postgres"] = pg
			gen["telepace-cache"] = environments.GeneratedSecret{Passwords: []string{"password"}}
			e.Secrets.Generated = gen
			return e
		}),
		want: []string{
			`[dev] secrets.generated[telepace-cache]: no service, consumer or receiver reads Secret "telepace-cache"`,
			`[dev] secrets.generated[telepace-postgres].passwords[1]: no service, consumer or receiver reads key "admin-password" of Secret "telepace-postgres"`,
		},
	},
	{
		name: "Secret references nothing produces",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Secrets.Store = nil
			e.Secrets.RefreshInterval = 0
			return withService(e, "feedback-collection-api", func(s *environments.Service) {
				s.Customize = func(p *pc.MicroserviceProps) {
					p.SecretEnv = append(p.SecretEnv,
						pc.SecretEnv{Name: "REDIS_USERNAME", Secret: "telepace-redis", Key: "redis-username"},
						pc.SecretEnv{Name: "SENTRY_DSN", Secret: "sentry", Key: "dsn"},
					)
				}
			})
		}),
		want: []string{
			`[dev/feedback-collection-api] secretEnv[5]: Secret "sentry" has no producer: the environment has no secret store, and does not generate or seal it`,
			`[dev/feedback-collection-api] secretEnv[4]: Secret "telepace-redis" is generated without key "redis-username"; add it to secrets.generated[telepace-redis]`,
		},
	},
	{
		name: "a store nothing reads, mixed optional and required keys, names Secret Manager refuses",
		envs: func() []environments.Environment {
			dev := dev()
			dev.Secrets.Sealed = []pc.SealedSecretProps{{Name: "voiceflow-credentials", EncryptedData: map[string]string{"openai-api-key": sealedValue}}}
			staging := withService(lookup("staging"), "feedback-collection-api", func(s *environments.Service) {
				s.Customize = func(p *pc.MicroserviceProps) {
					p.SecretEnv = append(p.SecretEnv,
						pc.SecretEnv{Name: "REDIS_CA", Secret: "telepace-redis", Key: "redis-ca", Optional: true},
						pc.SecretEnv{Name: "SETTINGS", Secret: "django", Key: "settings.json"},
					)
				}
			})
			staging.Secrets.RefreshInterval = time.Second
			return []environments.Environment{dev, staging}
		},
		want: []string{
			`[dev] secrets.store: no Secret is read from it; every Secret is generated or sealed, so remove the store`,
			`[staging] secrets.refreshInterval: 1s would call the store more than once a minute per Secret; use a minute or more`,
			`[staging] secrets: Secret "django" would be read from Secret Manager as "staging-django-settings.json", which is not a secret ID (letters, digits, '-' and '_', at most 255)`,
			`[staging] secrets: Secret "telepace-redis" is read with required keys (redis-password) and optional keys (redis-ca); a missing optional value would keep the required ones from the pods, so keep optional keys in a Secret of their own`,
		},
	},
	{
		name: "Pod Security levels that are missing, unknown, or below restricted without a reason",
		envs: func() []environments.Environment {
			dev := dev()
			dev.PodSecurity = environments.PodSecurity{Enforce: "privileged"}
			staging := lookup("staging")
			staging.PodSecurity.Enforce = "strict"
			prod := lookup("prod")
			prod.PodSecurity = environments.PodSecurity{}
			return []environments.Environment{dev, staging, prod}
		},
		want: []string{
			`[dev] podSecurity.why: enforcing privileged, below restricted, needs the reason: which pods need it, and what`,
			`[staging] podSecurity.enforce: "strict" is not a Pod Security level: restricted, baseline or privileged`,
			`[prod] podSecurity.enforce: is required: restricted, baseline or privileged`,
		},
	},
	{
		name: "umbrella dependencies that are not pinned or collide, retention that does not parse, volumes too small",
		envs: one(func(e environments.Environment) environments.Environment {
			deps := e.Dependencies()
			deps[0].Version = "~0.24"
			deps[1].Version = ""
			deps[2].Version = "latest"
			deps[3].Alias = "kong"
			e.Umbrella = func(environments.Environment) []environments.Dependency { return deps }
			e.Retention.Metrics = "a week"
			e.Retention.MetricsSize = "4G"
			volumes := maps.Clone(e.Retention.Volumes)
			volumes["postgres"] = "100Mi"
			volumes["redis"] = "1Gi"
			e.Retention.Volumes = volumes
			return e
		}),
		want: []string{
			`[dev] dependencies[0].version: "~0.24" is not an exact chart version (such as 1.2.3); ranges, "latest" and empty versions install whatever the repository serves that day`,
			`[dev] dependencies[1].version: "" is not an exact chart version (such as 1.2.3); ranges, "latest" and empty versions install whatever the repository serves that day`,
			`[dev] dependencies[2].version: "latest" is not an exact chart version (such as 1.2.3); ranges, "latest" and empty versions install whatever the repository serves that day`,
			`[dev] dependencies[3].alias: "kong" is already dependencies[0]'s values key; Helm would merge both charts' values`,
			`[dev] retention.metrics: "a week" is not a duration such as 15d or 168h`,
			`[dev] retention.metricsSize: "4G" is not a Prometheus size such as 8GB`,
			`[dev] retention.volumes[postgres]: 100Mi is below the 1Gi the chart needs`,
			`[dev] retention.volumes[redis]: no data store of that name`,
		},
	},
	{
		name: "umbrella dependencies Helm would misread: a reserved key, a bad name, values that set enabled or contain themselves",
		envs: one(func(e environments.Environment) environments.Environment {
			deps := e.Dependencies()
			deps[0].Alias = "global"
			deps[1].Name = "a: b"
			deps[2].Values, deps[2].Wiring = map[string]any{"enabled": false}, nil
			deps[3].Values, deps[3].Wiring = &recursiveValues{}, nil
			e.Retention.Alerts = "5d"
			e.Umbrella = func(environments.Environment) []environments.Dependency { return deps }
			return e
		}),
		want: []string{
			`[dev] dependencies[0].alias: "global" is a values key Helm reserves`,
			`[dev] dependencies[1].name: "a: b" is not a chart name (lower-case letters, digits and '-')`,
			`[dev] dependencies[2].values: sets enabled, which the umbrella sets: <key>.enabled installs the chart`,
			`[dev] dependencies[3].values: compose_test.recursiveValues refers to itself; a values schema cannot be generated for it`,
			`[dev] retention.alerts: "5d" is not an Alertmanager duration such as 120h (hours, minutes, seconds)`,
		},
	},
	{
		name: "umbrella dependencies pinned without a source that was read, or offering a choice nothing sets",
		envs: one(func(e environments.Environment) environments.Environment {
			deps := e.Dependencies()
			deps[0].Source = environments.ChartSource{}
			deps[1].Source.Commit = "main"
			deps[2].Source.Commit, deps[2].Source.GoModule = "", false
			deps[3].Choices = map[string]string{"no-such.key": "a choice nothing sets"}
			deps[4].Wiring = []string{"no-such.key"}
			e.Umbrella = func(environments.Environment) []environments.Dependency { return deps }
			return e
		}),
		want: []string{
			sourceProblem(0),
			sourceProblem(1),
			sourceProblem(2),
			`[dev] dependencies[3].choices[no-such.key]: not a key the umbrella sets in the dependency's values; a choice is a value the schema knows`,
			`[dev] dependencies[4].wiring[no-such.key]: not a key the umbrella sets in the dependency's values`,
		},
	},
	{
		name: "egress to ports nothing in the namespace declares",
		envs: one(func(e environments.Environment) environments.Environment {
			return withService(e, "analysis", func(s *environments.Service) {
				s.Customize = func(p *pc.MicroserviceProps) {
					p.Egress = append(p.Egress,
						pc.EgressRule{Name: "collection", PodLabels: map[string]string{pc.LabelName: "collection"}, Ports: []pc.EgressPort{{Port: 9090}}},
						pc.EgressTo("postgres-typo", "postgresql", 5433, ""),
					)
				}
			})
		}),
		want: []string{
			`[dev/analysis] egress[1].ports[0].port: 9090 is not a port of service "collection" (it has http 8080)`,
			`[dev/analysis] egress[2].ports[0].port: 5433 is not declared by any service, backend or collector of the namespace (` + devDeclaredPorts() + `)`,
		},
	},
}

// TestBadInput plans each bad input, without jsii or node, and compares
// its problems with the expected ones, both in the order a construct
// tree reports them: by path, and in the order found within a path.
func TestBadInput(t *testing.T) {
	for _, tt := range badInputs {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range tt.envs() {
				for _, p := range compose.Compose(e).Problems {
					got = append(got, p.String(e.Name))
				}
			}
			assert.Equal(t, byPath(tt.want), byPath(got))
		})
	}
}

func dev() environments.Environment { return lookup("dev") }

func lookup(name string) environments.Environment {
	e, ok := environments.Lookup(name)
	if !ok {
		panic("no environment " + name)
	}
	e.Services = slices.Clone(e.Services)
	e.Images = maps.Clone(e.Images)
	return e
}

// withService returns env with the service called name changed by edit.
func withService(env environments.Environment, name string, edit func(*environments.Service)) environments.Environment {
	for i := range env.Services {
		if env.Services[i].App == name {
			edit(&env.Services[i])
			return env
		}
	}
	panic("no service " + name)
}

// customized returns env with the props of the service called name changed
// by edit.
func customized(env environments.Environment, name string, edit func(*pc.MicroserviceProps)) environments.Environment {
	return withService(env, name, func(s *environments.Service) { s.Customize = edit })
}

// noService is a name no service has.
const noService = "no-such-service"

// devIndex returns the index of the service called name in dev's list.
func devIndex(name string) int {
	i := slices.IndexFunc(dev().Services, func(s environments.Service) bool { return cmp.Or(s.Name, s.App) == name })
	if i < 0 {
		panic("dev deploys no service " + name)
	}
	return i
}

// devDeclaredPorts lists the ports of dev's namespace as the egress check
// names them: each service's ports, as its app declares them, and dev's
// backends and trace collector.
func devDeclaredPorts() string {
	e := dev()
	declared := map[int32][]string{}
	for _, s := range e.Services {
		app, ok := apps.Lookup(s.App)
		if !ok {
			panic("no app " + s.App)
		}
		for _, p := range app.Props(e.Context()).Ports {
			declared[p.Port] = append(declared[p.Port], cmp.Or(s.Name, s.App))
		}
	}
	declared[e.Backends.Postgres.Port] = append(declared[e.Backends.Postgres.Port], "postgres")
	declared[e.Backends.Redis.Port] = append(declared[e.Backends.Redis.Port], "redis")
	declared[e.Backends.ObjectStore.Port] = append(declared[e.Backends.ObjectStore.Port], "object store")
	declared[4318] = append(declared[4318], "trace collector") // OTLP over HTTP
	var list []string
	for _, p := range slices.Sorted(maps.Keys(declared)) {
		list = append(list, fmt.Sprintf("%d: %s", p, strings.Join(declared[p], ", ")))
	}
	return strings.Join(list, "; ")
}

// sourceProblem is the message for dev's dependency i pinned without a
// source.
func sourceProblem(i int) string {
	return fmt.Sprintf("[dev] dependencies[%d].source: name the source repository, chart path, tag, and commit (40 hex digits) of version %s; pin only a version whose source you have read", i, lookup("dev").Dependencies()[i].Version)
}

// customRoutes replaces the routes the app of the service called name
// declares.
func customRoutes(env environments.Environment, name string, routes ...pc.Route) environments.Environment {
	return withService(env, name, func(s *environments.Service) { s.Routes = routes })
}

// one wraps an edit of dev as a single-environment input.
func one(edit func(environments.Environment) environments.Environment) func() []environments.Environment {
	return func() []environments.Environment { return []environments.Environment{edit(dev())} }
}

// recursiveValues is a values type that contains itself.
type recursiveValues struct {
	Children []recursiveValues `json:"children"`
}

// byPath orders problems, each "[path] field: message", by path, keeping
// the order of those at one path: the order cdk8s reports one construct's
// validations in.
func byPath(problems []string) []string {
	out := slices.Clone(problems)
	slices.SortStableFunc(out, func(a, b string) int {
		pa, _, _ := strings.Cut(a, "]")
		pb, _, _ := strings.Cut(b, "]")
		return strings.Compare(pa, pb)
	})
	return out
}

// devServiceNames returns the names of dev's services, sorted.
func devServiceNames() []string {
	var names []string
	for _, s := range dev().Services {
		names = append(names, cmp.Or(s.Name, s.App))
	}
	slices.Sort(names)
	return names
}

// sealedValue has the shape of a sealed value: base64 of more bytes than an
// RSA-OAEP session key.
var sealedValue = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 300))
