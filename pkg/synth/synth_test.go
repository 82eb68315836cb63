package synth_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/telepace/platform-charts/environments/environmentstest"
	"github.com/telepace/platform-charts/internal/crds"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/compose"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/queries"
	"github.com/telepace/platform-charts/pkg/synth"
)

// committedCharts is where make synth writes, relative to this package.
const committedCharts = "../../charts/generated"

func TestMain(m *testing.M) { constructstest.Main(m) }

// synthAll synthesises every environment, and the Argo CD chart, once per
// test binary, as a full `make synth` does.
var synthAll = func() func(t *testing.T) []synth.Chart {
	var charts []synth.Chart
	var err error
	done := false
	return func(t *testing.T) []synth.Chart {
		t.Helper()
		if !done {
			charts, err = synth.SynthesizeWithGitOps(environments.All(), environments.Repository)
			done = true
		}
		require.NoError(t, err)
		return charts
	}
}()

// TestCommittedChartsAreUpToDate is the drift check of synth --check: the
// charts under charts/generated/ must be exactly what the code produces.
func TestCommittedChartsAreUpToDate(t *testing.T) {
	stale, err := synth.Check(committedCharts, synthAll(t), synth.WriteOptions{Complete: true})
	require.NoError(t, err)
	assert.Empty(t, stale, "the committed charts are stale; run `make synth` and commit the result")
}

func TestCheckNamesStaleFiles(t *testing.T) {
	charts := synthAll(t)
	dir := t.TempDir()
	writeCharts(t, dir, charts)
	stale, err := synth.Check(dir, charts, synth.WriteOptions{Complete: true})
	require.NoError(t, err)
	require.Empty(t, stale)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "prod", "templates", "web.yaml"), []byte("edited by hand\n"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(dir, "dev", "values.yaml")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "staging", "templates", "extra.yaml"), []byte("{}\n"), 0o644))
	stale, err = synth.Check(dir, charts, synth.WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"dev/values.yaml (missing)",
		"prod/templates/web.yaml (differs)",
		"staging/templates/extra.yaml (not generated)",
	}, stale)
}

func TestSynthesisIsDeterministic(t *testing.T) {
	first := synthAll(t)
	second, err := synth.SynthesizeWithGitOps(environments.All(), environments.Repository)
	require.NoError(t, err)
	require.Equal(t, len(first), len(second))
	for i := range first {
		assert.Equal(t, first[i].Env, second[i].Env)
		assert.Equal(t, first[i].Files, second[i].Files, "%s differs between two runs", first[i].Env)
	}
	// And on disk: two writes give identical trees.
	a, b := t.TempDir(), t.TempDir()
	writeCharts(t, a, first)
	writeCharts(t, b, second)
	assert.Equal(t, treeDigest(t, a), treeDigest(t, b))
}

func TestChartLayout(t *testing.T) {
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	for _, c := range synthAll(t) {
		if c.Env == environments.GitOpsChart {
			continue // TestGitOpsChart
		}
		t.Run(c.Env, func(t *testing.T) {
			var paths []string
			for p := range c.Files {
				if strings.HasPrefix(p, "crds/") {
					continue // TestShippedCRDs
				}
				paths = append(paths, p)
			}
			want := []string{
				".helmignore", "Chart.yaml", "README.md", "values.yaml", "values.schema.json",
				"templates/namespace-guard.yaml",
				"templates/gateway.yaml", "templates/monitoring.yaml", "templates/secrets.yaml",
			}
			env, ok := environments.Lookup(c.Env)
			require.True(t, ok)
			for _, s := range env.Services {
				want = append(want, "templates/"+cmp.Or(s.Name, s.App)+".yaml") // a template per service
			}
			assert.ElementsMatch(t, want, paths)
			chart := string(c.Files["Chart.yaml"])
			assert.Contains(t, chart, "apiVersion: v2\nname: telepace-"+c.Env+"\n")
			assert.Contains(t, chart, "\nversion: "+synth.ChartVersion+"\n")
			assert.Contains(t, chart, "\nappVersion: \""+synth.ChartVersion+"\"\n")
			for _, o := range resolved[c.Env].Objects {
				var obj struct {
					Metadata struct{ Namespace *string } `json:"metadata"`
				}
				require.NoError(t, yaml.Unmarshal(o.YAML, &obj))
				assert.Nil(t, obj.Metadata.Namespace, "%s/%s: objects carry no namespace; Helm's release namespace applies", o.Kind, o.Name)
			}
		})
	}
}

func TestEscapeHelm(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"{{ .Values.x }}", `{{ "{{" }} .Values.x {{ "}}" }}`},
		{"a}}b{{c", `a{{ "}}" }}b{{ "{{" }}c`},
		{"{{{", `{{ "{{" }}{`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, synth.EscapeHelm(tt.in), tt.in)
	}
}

func dev() environments.Environment { return environmentstest.Lookup("dev") }

// badInputs are mistakes a developer can make in apps/ or environments/.
// Each must fail with exactly these messages, and write nothing.
var badInputs = []struct {
	name string
	envs func() []environments.Environment
	want []string
}{
	{
		name: "malformed image reference",
		envs: one(func(e environments.Environment) environments.Environment { e.Images["web"] = "v1.0.0 beta"; return e }),
		want: []string{`[dev/web] image: "ghcr.io/telepace/web:v1.0.0 beta" is not a valid image reference: invalid reference format`},
	},
	{
		name: "empty image tag is reported as empty, not as latest",
		envs: one(func(e environments.Environment) environments.Environment { e.Images["web"] = ""; return e }),
		want: []string{`[dev/web] image: ghcr.io/telepace/web has an empty tag and no digest; set a tag or a digest`},
	},
	{
		name: "limits below requests",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.WithService(e, "voiceflow", func(s *environments.Service) { s.Resources = environments.Resources("500m", "1Gi", "250m", "512Mi") })
		}),
		want: []string{
			`[dev/voiceflow] resources.limits.cpu: 250m is below the request 500m`,
			`[dev/voiceflow] resources.limits.memory: 512Mi is below the request 1Gi`,
		},
	},
	{
		name: "quantity that does not parse",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.WithService(e, "web", func(s *environments.Service) { s.Resources = environments.Resources("50m", "12GB", "500m", "256Mi") })
		}),
		want: []string{`[dev/web] resources.requests.memory: "12GB" is not a Kubernetes quantity; write a number with an optional suffix, such as 512Mi or 1Gi`},
	},
	{
		name: "quantities Kubernetes accepts but that cannot work",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.WithService(e, "web", func(s *environments.Service) { s.Resources = environments.Resources("0.5m", "128m", "5m", "8Mi") })
		}),
		want: []string{
			`[dev/web] resources.requests.cpu: 0.5m is finer than a millicore (1m), which Kubernetes rounds up`,
			`[dev/web] resources.limits.cpu: 5m is below the smallest workable limit 10m`,
			`[dev/web] resources.requests.memory: 128m is not a whole number of bytes (the suffix m means milli; Mi means mebibytes)`,
			`[dev/web] resources.limits.memory: 8Mi is below the smallest workable limit 16Mi`,
		},
	},
	{
		name: "zero and negative quantities",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.WithService(e, "web", func(s *environments.Service) { s.Resources = environments.Resources("0", "-1Gi", "1", "1Gi") })
		}),
		want: []string{
			`[dev/web] resources.requests.cpu: 0 must be positive`,
			`[dev/web] resources.requests.memory: -1Gi must be positive`,
		},
	},
	{
		name: "no resources",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.WithService(e, "web", func(s *environments.Service) { s.Resources = pc.Resources{} })
		}),
		want: []string{
			`[dev/web] resources.requests.cpu: is required`,
			`[dev/web] resources.limits.cpu: is required`,
			`[dev/web] resources.requests.memory: is required`,
			`[dev/web] resources.limits.memory: is required`,
		},
	},
	{
		name: "replicas left out is an error, not 2",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.WithService(e, "web", func(s *environments.Service) { s.Replicas = 0 })
		}),
		want: []string{`[dev/web] replicas: 0 must be at least 1`},
	},
	{
		name: "replicas left out in prod does not lower the autoscaler's minimum",
		envs: func() []environments.Environment {
			return []environments.Environment{environmentstest.WithService(environmentstest.Lookup("prod"), "web", func(s *environments.Service) { s.Replicas = 0 })}
		},
		want: []string{`[prod/web] replicas: 0 must be at least 1`},
	},
	{
		name: "floating tag outside dev",
		envs: func() []environments.Environment {
			e := environmentstest.Lookup("prod")
			e.Images["voiceflow"] = "latest"
			return []environments.Environment{e}
		},
		want: []string{`[prod/voiceflow] image: tag "latest" is floating; prod needs a release tag (vX.Y.Z) or a digest`},
	},
	{
		name: "empty environment name is reported once",
		envs: one(func(e environments.Environment) environments.Environment { e.Name = ""; return e }),
		want: []string{`[environments[0]] name: is required`},
	},
	{
		name: "invalid environment name is reported once, as the name",
		envs: func() []environments.Environment {
			e := environmentstest.Lookup("prod")
			e.Name = "Prod"
			return []environments.Environment{environmentstest.Lookup("dev"), e}
		},
		want: []string{`[environments[1]] name: "Prod" is not a valid environment name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
	},
	{
		name: "environment listed twice",
		envs: func() []environments.Environment {
			return []environments.Environment{environmentstest.Lookup("dev"), environmentstest.Lookup("dev")}
		},
		want: []string{`[environments[1]] name: "dev" is already used by environments[0]`},
	},
	{
		name: "environment name too long for a release name",
		envs: one(func(e environments.Environment) environments.Environment { e.Name = strings.Repeat("d", 45); return e }),
		want: []string{`[environments[0]] name: "` + strings.Repeat("d", 45) + `" is longer than 44 characters; its release name "telepace-` + strings.Repeat("d", 45) + `" would exceed Helm's 53`},
	},
	{
		name: "unknown telepace environment, bad domain and backend",
		envs: one(func(e environments.Environment) environments.Environment {
			e.TelepaceEnvironment = "dev"
			e.Domains.API = "https://api.dev.telepace.cc"
			e.Backends.Redis.Port = 0
			return e
		}),
		want: []string{
			`[dev] telepaceEnvironment: "dev" is not one the services understand: development, staging, production`,
			`[dev] domains.api: "https://api.dev.telepace.cc" is not a valid host name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			`[dev] backends.redis.port: 0 is not a valid port number: must be between 1 and 65535, inclusive`,
			`[dev/feedback-collection-api] egress[1].ports[0].port: 0 is not a valid port number`,
		},
	},
	{
		name: "command that cannot start",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.Customized(e, "analysis", func(p *pc.MicroserviceProps) {
				p.Command = []string{"python manage.py runserver"}
				p.Args = []string{"--port", "$(PORT)"}
			})
		}),
		want: []string{
			`[dev/analysis] command[0]: "python manage.py runserver" contains whitespace; name the program alone and list each argument as its own element`,
			`[dev/analysis] args[1]: $(PORT) names no variable of the container; Kubernetes would pass it on literally (write $$(PORT) for a literal)`,
		},
	},
	{
		name: "explicit zeros are errors, not defaults",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.Customized(e, "analysis", func(p *pc.MicroserviceProps) {
				p.RunAsUser = new(int64)
				p.TargetCPUUtilization = new(int32)
				p.WritablePaths = []string{"/tmp"}
				p.WritableSizeLimit = "1GB"
			})
		}),
		want: []string{
			`[dev/analysis] runAsUser: 0 is not a non-root UID; the pod must run as a UID above 0`,
			`[dev/analysis] targetCPUUtilization: 0% is outside 1-100%`,
			`[dev/analysis] writableSizeLimit: "1GB" is not a Kubernetes quantity; write a number with an optional suffix, such as 512Mi or 1Gi`,
		},
	},
	{
		name: "route path without a leading slash",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.CustomRoutes(e, "analysis", pc.Route{Host: "api.dev.telepace.cc", Path: "api/analysis"})
		}),
		want: []string{`[dev/analysis/route] routes[0].path: "api/analysis" must start with /`},
	},
	{
		name: "route to an unknown port",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.CustomRoutes(e, "analysis", pc.Route{Host: "api.dev.telepace.cc", Path: "/api/analysis", Port: "grpc"})
		}),
		want: []string{`[dev/analysis/route] routes[0].port: service "analysis" has no port "grpc"`},
	},
	{
		name: "one service routes the same path twice",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.CustomRoutes(e, "analysis",
				pc.Route{Host: "api.dev.telepace.cc", Path: "/api/analysis", Methods: []string{"GET"}},
				pc.Route{Host: "api.dev.telepace.cc", Path: "/api/analysis/", Methods: []string{"POST", "GET"}})
		}),
		want: []string{`[dev/analysis/route] routes[1].path: GET /api/analysis/ is already routed by routes[0]`},
	},
	{
		name: "a route to voiceflow's private /config",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.CustomRoutes(e, "voiceflow", pc.Route{Host: "api.dev.telepace.cc", Path: "/", Methods: []string{"POST"}})
		}),
		want: []string{`[dev/voiceflow/route] routes[0].path: path prefix "/": voiceflow has private paths (/config), so route it by exact paths only; a prefix also matches "/../config"`},
	},
	{
		name: "plugin configs out of their schema's range",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Gateway.Plugins = append(slices.Clone(e.Gateway.Plugins[1:]),
				pc.KongPluginProps{Name: "rate-limit", Config: pc.RateLimiting{Minute: -5, Hour: 10, Policy: "cluster"}},
			)
			e.Gateway.Consumers = []pc.KongConsumerProps{{Name: "partner", Credentials: []pc.ConsumerCredential{{Secret: "partner-jwt", Type: "jwt", Algorithm: "HS999"}}}}
			return e
		}),
		want: []string{
			`[dev/gateway/plugins/rate-limit] config.minute: -5 is negative; a limit is a positive number of requests`,
			`[dev/gateway/plugins/rate-limit] config.policy: "cluster" needs a Kong database; DB-less Kong counts locally`,
			`[dev/gateway/consumers/partner] credentials[0].algorithm: "HS999" is not a JWT algorithm Kong accepts: HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512, EdDSA`,
		},
	},
	{
		name: "a prefix route to a service with private paths",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.CustomRoutes(e, "voiceflow", pc.Route{Host: "api.dev.telepace.cc", Path: "/ws"})
		}),
		want: []string{`[dev/voiceflow/route] routes[0].path: path prefix "/ws": voiceflow has private paths (/config), so route it by exact paths only; a prefix also matches "/ws/../config"`},
	},
	{
		name: "an exact route to the private path in another case, from another service",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.CustomRoutes(e, "web", pc.Route{Host: "dev.telepace.cc", Path: "/CONFIG/", Exact: true, Methods: []string{"POST"}, Service: "voiceflow"})
		}),
		want: []string{`[dev/voiceflow/route-2] routes[0].path: exact path "/CONFIG/" would route voiceflow's private path /config through the gateway`},
	},
	{
		name: "path characters the Gateway API refuses",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.CustomRoutes(e, "analysis", pc.Route{Host: "api.dev.telepace.cc", Path: "/api/{id}"})
		}),
		want: []string{`[dev/analysis/route] routes[0].path: "/api/{id}" holds characters a Gateway API path may not: only letters, digits and -._~!$&'()*+,;=:@/`},
	},
	{
		name: "a Kong timeout Kong would ignore",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.Customized(e, "voiceflow", func(p *pc.MicroserviceProps) { p.ServiceAnnotations["konghq.com/read-timeout"] = "1h" })
		}),
		want: []string{`[dev/voiceflow] serviceAnnotations[konghq.com/read-timeout]: "1h" is not a whole number of milliseconds (1-2147483646); Kong would ignore it`},
	},
	{
		name: "an extra alert with broken PromQL, no severity, no runbook and a bad for",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.WithService(e, "web", func(s *environments.Service) {
				s.Alerts = []pc.Alert{{Name: "WebBroken", Expr: "sum(rate(http_requests_total[5m])", For: "5 minutes", Summary: "s", Description: "d"}}
			})
		}),
		want: []string{
			fmt.Sprintf(`[dev/web/alerts] alerts[%d].expr: does not parse: 1:34: parse error: unclosed left parenthesis`, devWebAlerts()),
			fmt.Sprintf(`[dev/web/alerts] alerts[%d].for: "5 minutes" is not a Prometheus duration such as 5m: unknown unit " minutes" in duration "5 minutes"`, devWebAlerts()),
			fmt.Sprintf(`[dev/web/alerts] alerts[%d].severity: is required: critical, warning, info`, devWebAlerts()),
			fmt.Sprintf(`[dev/web/alerts] alerts[%d].runbookURL: is required`, devWebAlerts()),
		},
	},
	{
		// A name the catalog of queries does not hold: the first one's,
		// misspelt.
		name: "an extra alert naming an unknown query, and one naming a query and an expr",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.WithService(e, "web", func(s *environments.Service) {
				s.Alerts = []pc.Alert{
					{Name: "WebDown", Query: queries.Names()[0] + "s", Severity: "warning", Summary: "s", Description: "d", RunbookURL: "https://telepace.cc/runbooks#web"},
					{Name: "WebUp", Query: queries.Names()[0], Expr: "up", Severity: "warning", Summary: "s", Description: "d", RunbookURL: "https://telepace.cc/runbooks#web"},
				}
			})
		}),
		want: []string{
			fmt.Sprintf(`[dev/web/alerts] alerts[%d].query: unknown query %q; known queries: %s`, devWebAlerts(), queries.Names()[0]+"s", strings.Join(queries.Names(), ", ")),
			fmt.Sprintf(`[dev/web/alerts] alerts[%d]: set query (%q) or expr, not both`, devWebAlerts()+1, queries.Names()[0]),
		},
	},
	{
		name: "egress rules that cannot work",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.Customized(e, "analysis", func(p *pc.MicroserviceProps) {
				p.Egress = append(p.Egress,
					pc.EgressRule{Name: "anything"},
					pc.EgressRule{Name: "both", Internet: true, CIDR: "10.0.0.0/33", Ports: []pc.EgressPort{{Port: 443, Protocol: "HTTP"}}},
				)
			})
		}),
		want: []string{
			`[dev/analysis] egress[1].ports: at least one port is required; egress to every port is not allowed`,
			`[dev/analysis] egress[2]: set one of internet, cidr, or namespace and podLabels`,
			`[dev/analysis] egress[2].cidr: "10.0.0.0/33" is not a CIDR range`,
			`[dev/analysis] egress[2].ports[0].protocol: "HTTP" is not TCP, UDP or SCTP`,
		},
	},

	{
		name: "alerts routed to a receiver that does not exist",
		envs: func() []environments.Environment {
			e := environmentstest.Lookup("prod")
			e.Monitoring.Routes = []pc.SeverityRoute{{Severities: []string{"critical", "page"}, Receiver: "oncall"}}
			return []environments.Environment{e}
		},
		want: []string{
			`[prod/monitoring/alertmanager] routes[0].receiver: "oncall" names no receiver`,
			`[prod/monitoring/alertmanager] routes[0].severities[1]: "page" is not one of critical, warning, info`,
		},
	},
	{
		name: "a sealed key nobody reads, a sealed value that is not ciphertext, a Secret sealed twice",
		envs: func() []environments.Environment {
			e := environmentstest.Lookup("staging")
			e.Secrets.Sealed = []pc.SealedSecretProps{
				{Name: "alertmanager-slack", EncryptedData: map[string]string{"webhook-url": "https://hooks.slack.com/x", "token": sealedValue}},
				{Name: "alertmanager-slack", EncryptedData: map[string]string{"webhook-url": sealedValue}},
			}
			return []environments.Environment{e}
		},
		want: []string{
			`[staging] secrets.sealed[0].encryptedData[token]: no service, consumer or receiver reads key "token" of Secret "alertmanager-slack"`,
			`[staging] secrets.sealed[1].name: "alertmanager-slack" is sealed twice`,
			`[staging/secrets/alertmanager-slack] encryptedData[webhook-url]: is not base64 ciphertext: illegal base64 data at input byte 5; seal the value with ` + "`synth seal`",
		},
	},
	{
		name: "a secret store without a provider or a refresh interval",
		envs: func() []environments.Environment {
			e := environmentstest.Lookup("staging")
			e.Secrets.Store = &pc.SecretStoreProps{Name: "gsm"}
			e.Secrets.RefreshInterval = 0
			return []environments.Environment{e}
		},
		want: []string{
			`[staging] secrets.refreshInterval: is required with a store; say how soon a rotated value reaches the pods`,
			`[staging/secrets/SecretStore] provider: set exactly one of googleSecretManager and kubernetes`,
		},
	},
	{
		name: "two objects of one kind and name",
		envs: func() []environments.Environment {
			e := environmentstest.Lookup("staging")
			store := *e.Secrets.Store
			store.Name = "analysis"
			e.Secrets.Store = &store
			return []environments.Environment{e}
		},
		want: []string{
			`[staging/secrets/SecretStore/service-account] name: ServiceAccount "analysis" is defined more than once: by staging/analysis/service-account and staging/secrets/SecretStore/service-account; give each its own name`,
		},
	},
	{
		name: "Argo CD delivery that cannot work: another namespace, production synced automatically, a reserved name",
		envs: func() []environments.Environment {
			dev := dev()
			dev.Delivery.Namespace = "telepace-sandbox"
			prod := environmentstest.Lookup("prod")
			prod.Delivery.Automated = true
			argo := environmentstest.Lookup("staging")
			argo.Name = "argocd"
			return []environments.Environment{dev, prod, argo}
		},
		want: []string{
			`[environments[2]] name: "argocd" is reserved for the Argo CD chart`,
			`[dev] delivery.namespace: "telepace-sandbox" differs from the environment's namespace "telepace-dev"; Argo CD would install the chart where its Role and store do not point`,
			`[prod] delivery.automated: production is synced by a person after review of the diff in Argo CD; leave it false`,
		},
	},
	{
		name: "CRDs from a source nothing pins",
		envs: one(func(e environments.Environment) environments.Environment {
			e.CRDs = []string{"gateway-api", "istio"}
			return e
		}),
		want: []string{
			`[dev] crds[1]: crd-versions.txt pins no module named "istio"`,
		},
	},
	{
		name: "a secret in a setting",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.Customized(e, "analysis", func(p *pc.MicroserviceProps) { p.Config["DATABASE_PASSWORD"] = "hunter2" })
		}),
		want: []string{
			`[dev/analysis] config[DATABASE_PASSWORD]: a setting named like a secret must come from a Secret (secretEnv), never be written in git`,
		},
	},
}

// one wraps an edit of dev as a single-environment input.
func one(edit func(environments.Environment) environments.Environment) func() []environments.Environment {
	return func() []environments.Environment { return []environments.Environment{edit(dev())} }
}

// TestBadInput checks that each kind of bad input fails with its exact
// messages, and that neither the output directory nor a file beside it
// changes, in content or mode.
func TestBadInput(t *testing.T) {
	for _, tt := range badInputs {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			out := filepath.Join(root, "generated")
			seedCharts(t, out)
			unrelated := filepath.Join(root, "notes.txt")
			require.NoError(t, os.WriteFile(unrelated, []byte("mine"), 0o600))
			before := treeDigest(t, root)

			_, err := synth.Generate(context.Background(), tt.envs(), out, synth.WriteOptions{})
			var verr *pc.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.want, verr.Problems)
			assert.Equal(t, before, treeDigest(t, root), "a failed synth must leave the output and its neighbours untouched")
		})
	}
}

// TestFailedSynthLeavesOutputUnchanged runs a failing multi-environment
// synth over an existing output directory.
func TestFailedSynthLeavesOutputUnchanged(t *testing.T) {
	out := t.TempDir()
	seedCharts(t, out)
	before := treeDigest(t, out)
	bad := dev()
	bad.Images["analysis"] = "Not A Tag"
	envs := environments.All()
	envs[0] = bad
	_, err := synth.Generate(context.Background(), envs, out, synth.WriteOptions{Complete: true})
	require.Error(t, err)
	assert.Equal(t, before, treeDigest(t, out))
}

func TestGenerateOneEnvironmentKeepsTheOthers(t *testing.T) {
	out := t.TempDir()
	seedCharts(t, out)
	prodBefore := treeDigest(t, filepath.Join(out, "prod"))
	res, err := synth.Generate(context.Background(), []environments.Environment{dev()}, out, synth.WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"dev"}, res.Written)
	assert.Empty(t, res.Removed)
	assert.Equal(t, prodBefore, treeDigest(t, filepath.Join(out, "prod")))
	_, err = os.Stat(filepath.Join(out, "dev", "templates", "web.yaml"))
	require.NoError(t, err)
	assertNoLeftovers(t, out)
}

// seedCharts fills dir with the current charts, as a checkout has them.
func seedCharts(t *testing.T, dir string) {
	t.Helper()
	writeCharts(t, dir, synthAll(t))
}

// writeCharts writes charts under dir, which may be new.
func writeCharts(t *testing.T, dir string, charts []synth.Chart) synth.WriteResult {
	t.Helper()
	res, err := synth.Write(context.Background(), dir, charts, synth.WriteOptions{})
	require.NoError(t, err)
	return res
}

// assertNoLeftovers fails if a synth left temporary directories in dir.
func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), ".synth-"), "left behind: %s", e.Name())
	}
}

// treeDigest hashes every path under dir with its type, mode, symlink
// target and content, dir itself included.
func treeDigest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(h, "%s\x00%s\x00", rel, info.Mode())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			h.Write([]byte(target))
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	}))
	return hex.EncodeToString(h.Sum(nil))
}

// TestReadmeImagesComeFromThePlan changes an image in the environment's
// map: the chart README lists the image the Deployment runs, both from the
// plan.
func TestReadmeImagesComeFromThePlan(t *testing.T) {
	env := dev()
	env.Images["web"] = "v9.9.9"
	charts, err := synth.Synthesize([]environments.Environment{env})
	require.NoError(t, err)
	readme := string(charts[0].Files["README.md"])
	image := "ghcr.io/telepace/web:v9.9.9"
	assert.Contains(t, readme, "| web | `"+image+"` |\n")
	assert.Contains(t, string(charts[0].Files["templates/web.yaml"]), "image: "+image+"\n")
}

// sealedValue has the shape of a sealed value: base64 of more bytes than an
// RSA-OAEP session key.
var sealedValue = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 300))

// TestShippedCRDs: a chart ships in crds/ exactly the CRDs of the sources
// its environment names, byte for byte as their pinned modules do, one file
// per CRD; the dev umbrella ships the Gateway API's and the External
// Secrets Operator's, which its own templates need before any dependency
// could install them.
func TestShippedCRDs(t *testing.T) {
	for _, c := range synthAll(t) {
		env, _ := environments.Lookup(c.Env)
		want := map[string]bool{}
		for _, name := range env.CRDs {
			docs, err := crds.Documents(name)
			require.NoError(t, err)
			for crd, doc := range docs {
				path := "crds/" + crd + ".yaml"
				want[path] = true
				require.Contains(t, c.Files, path)
				assert.True(t, bytes.HasSuffix(c.Files[path], doc), "%s: %s is not the pinned document", c.Env, path)
			}
		}
		var got []string
		for p := range c.Files {
			if strings.HasPrefix(p, "crds/") {
				got = append(got, p)
			}
		}
		assert.ElementsMatch(t, slices.Collect(maps.Keys(want)), got, c.Env)
	}
	dev := environmentstest.Lookup("dev")
	assert.Contains(t, dev.CRDs, "gateway-api")
	assert.Contains(t, dev.CRDs, "external-secrets")
}

// TestPlanProblemsReachValidation: a plan's problems, at the chart, a
// service, a plugin, a consumer and the Alertmanager routing, reach cdk8s
// through Build at their construct paths, each once; compose's own table
// checks the messages without node.
func TestPlanProblemsReachValidation(t *testing.T) {
	e := environmentstest.Lookup("prod")
	e.Namespace = "kube-prod"
	e.Gateway.Plugins = slices.Clone(e.Gateway.Plugins)
	for i, p := range e.Gateway.Plugins {
		if cors, ok := p.Config.(pc.CORS); ok {
			cors.Origins, cors.Credentials = []string{"*"}, false
			e.Gateway.Plugins[i].Config = cors
		}
	}
	e.Gateway.Consumers = []pc.KongConsumerProps{{Name: "partner", Credentials: []pc.ConsumerCredential{{Secret: "partner-key", Type: "key-auth"}}}}
	e.Secrets.Store = nil
	e = environmentstest.CustomRoutes(e, "web", pc.Route{Host: e.Domains.Web, Path: "/", Service: "no-such-service"})
	plan := compose.Compose(e)
	var want []string
	paths := map[string]bool{}
	for _, p := range plan.Problems {
		want = append(want, p.String(e.Name))
		paths[p.Path] = true
	}
	for _, path := range []string{"", "web", "gateway/plugins/" + environments.PluginCORS, "gateway/consumers/partner", "monitoring/alertmanager"} {
		assert.True(t, paths[path], "the plan has a problem at %q", path)
	}
	_, err := synth.Synthesize([]environments.Environment{e})
	var verr *pc.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.ElementsMatch(t, want, verr.Problems)
}

// devWebAlerts is how many alerts dev's web gets from pkg/alerts: the
// index of the first alert the environment adds.
func devWebAlerts() int {
	for _, r := range compose.Compose(dev()).Monitoring.Rules {
		if r.Service == "web" {
			return len(r.Props.Alerts)
		}
	}
	panic("dev plans no rule for web")
}

// TestBackendHostForms: a backend's two-label host is refused until it
// says where it is: "name.namespace.svc" for a Service, a trailing dot for
// a name outside the cluster. Both of those synthesise.
func TestBackendHostForms(t *testing.T) {
	with := func(host string) error {
		e := environmentstest.Lookup("prod")
		e.Backends.Postgres.Host = host
		_, err := synth.Synthesize([]environments.Environment{e})
		return err
	}
	err := with("postgres.db")
	var verr *pc.ValidationError
	require.ErrorAs(t, err, &verr)
	for _, p := range verr.Problems {
		assert.Contains(t, p, `host "postgres.db" could be Service postgres in namespace db or a name outside the cluster; write "postgres.db.svc" for the Service, or "postgres.db.", with a trailing dot, for the name outside`)
	}
	assert.NotEmpty(t, verr.Problems)
	assert.NoError(t, with("postgres.db."))
	assert.NoError(t, with("postgres.db.svc"))
}
