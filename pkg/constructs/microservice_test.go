package constructs_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestMain(m *testing.M) { constructstest.Main(m) }

func resources(cpuReq, memReq, cpuLim, memLim string) pc.Resources {
	return pc.Resources{
		CPU:    pc.ResourceRange{Request: cpuReq, Limit: cpuLim},
		Memory: pc.ResourceRange{Request: memReq, Limit: memLim},
	}
}

// validProps returns props that pass validation in prod.
func validProps() pc.MicroserviceProps {
	return pc.MicroserviceProps{
		Environment: "prod",
		Image:       pc.Image{Repository: "ghcr.io/telepace/analysis", Tag: "v0.13.0"},
		Ports:       []pc.Port{{Name: "http", Port: 8080}},
		Resources:   resources("100m", "128Mi", "500m", "256Mi"),
	}
}

func synthOne(props pc.MicroserviceProps) ([]map[string]any, error) {
	return constructstest.Synth(func(chart constructs.Construct) {
		pc.NewMicroservice(chart, "svc", props)
	})
}

func TestMicroserviceValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *pc.MicroserviceProps)
		want   []string
	}{
		{
			name:   "floating tag in prod",
			mutate: func(p *pc.MicroserviceProps) { p.Image.Tag = "latest" },
			want:   []string{`[test/svc] image: tag "latest" is floating; prod needs a release tag (vX.Y.Z) or a digest`},
		},
		{
			name:   "empty tag is reported as empty, not as latest",
			mutate: func(p *pc.MicroserviceProps) { p.Image.Tag = "" },
			want:   []string{`[test/svc] image: ghcr.io/telepace/analysis has an empty tag and no digest; set a tag or a digest`},
		},
		{
			name:   "branch tag in staging",
			mutate: func(p *pc.MicroserviceProps) { p.Environment = "staging"; p.Image.Tag = "main" },
			want:   []string{`[test/svc] image: tag "main" is floating; staging needs a release tag (vX.Y.Z) or a digest`},
		},
		{
			name:   "version without v prefix in staging",
			mutate: func(p *pc.MicroserviceProps) { p.Environment = "staging"; p.Image.Tag = "0.13.0" },
			want:   []string{`[test/svc] image: tag "0.13.0" is not a release tag, which is a lower-case v and MAJOR.MINOR.PATCH with an optional -pre-release (v1.2.3, v1.2.3-rc.1); staging needs a release tag or a digest`},
		},
		{
			name:   "version with a capital V in prod",
			mutate: func(p *pc.MicroserviceProps) { p.Image.Tag = "V1.2.3" },
			want:   []string{`[test/svc] image: tag "V1.2.3" is not a release tag, which is a lower-case v and MAJOR.MINOR.PATCH with an optional -pre-release (v1.2.3, v1.2.3-rc.1); prod needs a release tag or a digest`},
		},
		{
			name:   "pre-release without v prefix in prod",
			mutate: func(p *pc.MicroserviceProps) { p.Image.Tag = "1.2.3-rc.1" },
			want:   []string{`[test/svc] image: tag "1.2.3-rc.1" is not a release tag, which is a lower-case v and MAJOR.MINOR.PATCH with an optional -pre-release (v1.2.3, v1.2.3-rc.1); prod needs a release tag or a digest`},
		},
		{
			name:   "minor version in prod floats",
			mutate: func(p *pc.MicroserviceProps) { p.Image.Tag = "0.13" },
			want:   []string{`[test/svc] image: tag "0.13" is floating; prod needs a release tag (vX.Y.Z) or a digest`},
		},
		{
			name:   "sha tag in prod",
			mutate: func(p *pc.MicroserviceProps) { p.Image.Tag = "sha-1a2b3c4" },
			want:   []string{`[test/svc] image: tag "sha-1a2b3c4" is floating; prod needs a release tag (vX.Y.Z) or a digest`},
		},
		{
			name:   "malformed reference",
			mutate: func(p *pc.MicroserviceProps) { p.Image.Repository = "ghcr.io/Telepace/analysis" },
			want:   []string{`[test/svc] image: "ghcr.io/Telepace/analysis:v0.13.0" is not a valid image reference: invalid reference format: repository name (Telepace/analysis) must be lowercase`},
		},
		{
			name:   "malformed digest",
			mutate: func(p *pc.MicroserviceProps) { p.Image.Digest = "sha256:abc" },
			want:   []string{`[test/svc] image: "ghcr.io/telepace/analysis@sha256:abc" is not a valid image reference: invalid reference format`},
		},
		{
			name:   "unqualified repository",
			mutate: func(p *pc.MicroserviceProps) { p.Image.Repository = "analysis" },
			want:   []string{`[test/svc] image: "analysis:v0.13.0" is not fully qualified; write "docker.io/library/analysis:v0.13.0"`},
		},
		{
			name:   "missing environment",
			mutate: func(p *pc.MicroserviceProps) { p.Environment = "" },
			want: []string{
				`[test/svc] environment: is required`,
			},
		},
		{
			name:   "name is not a DNS label",
			mutate: func(p *pc.MicroserviceProps) { p.Name = "Voice_flow" },
			want: []string{
				`[test/svc] name: "Voice_flow" is not a valid DNS label: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
			},
		},
		{
			name:   "name too long",
			mutate: func(p *pc.MicroserviceProps) { p.Name = strings.Repeat("a", 64) },
			want: []string{
				`[test/svc] name: "` + strings.Repeat("a", 64) + `" is not a valid DNS label: must be no more than 63 characters`,
			},
		},
		{
			name: "name too long for the migration job",
			mutate: func(p *pc.MicroserviceProps) {
				p.Name = strings.Repeat("a", 60)
				p.Migration = &pc.Migration{Command: []string{"migrate"}}
			},
			want: []string{
				`[test/svc] name: "` + strings.Repeat("a", 60) + `" is too long for its migration Job "` + strings.Repeat("a", 60) + `-migrate": at most 55 characters`,
			},
		},
		{
			name: "duplicate ports",
			mutate: func(p *pc.MicroserviceProps) {
				p.Ports = []pc.Port{{Name: "http", Port: 8080}, {Name: "metrics", Port: 8080}, {Name: "http", Port: 9090}}
			},
			want: []string{
				`[test/svc] ports[1].port: 8080/TCP duplicates ports[0]`,
				`[test/svc] ports[2].name: "http" duplicates ports[0]`,
			},
		},
		{
			name:   "no ports",
			mutate: func(p *pc.MicroserviceProps) { p.Ports = nil },
			want:   []string{`[test/svc] ports: at least one port is required`},
		},
		{
			name:   "probe on an undeclared port",
			mutate: func(p *pc.MicroserviceProps) { p.Probes.Port = "admin" },
			want:   []string{`[test/svc] probes.port: port "admin" is not declared in ports`},
		},
		{
			name:   "metrics on an undeclared port",
			mutate: func(p *pc.MicroserviceProps) { p.Metrics = &pc.Metrics{Port: "metrics", Path: "metrics"} },
			want: []string{
				`[test/svc] metrics.port: port "metrics" is not declared in ports`,
				`[test/svc] metrics.path: "metrics" must start with /`,
			},
		},
		{
			name:   "autoscaler minimum above maximum",
			mutate: func(p *pc.MicroserviceProps) { p.Replicas = ptr.To[int32](5); p.MaxReplicas = ptr.To[int32](3) },
			want:   []string{`[test/svc] maxReplicas: 3 is below replicas 5; the autoscaler's minimum would exceed its maximum`},
		},
		{
			name:   "pdb maxUnavailable 0 blocks evictions",
			mutate: func(p *pc.MicroserviceProps) { p.Disruption.MaxUnavailable = ptr.To(intstr.FromInt32(0)) },
			want:   []string{`[test/svc] disruption.maxUnavailable: 0 blocks every eviction; allow at least one pod to be evicted`},
		},
		{
			name: "pdb minAvailable equal to replicas blocks evictions",
			mutate: func(p *pc.MicroserviceProps) {
				p.Replicas = ptr.To[int32](3)
				p.MaxReplicas = ptr.To[int32](6)
				p.Disruption.MinAvailable = ptr.To(intstr.FromInt32(3))
			},
			want: []string{`[test/svc] disruption.minAvailable: 3 with 3 replicas blocks every eviction; keep it below the replica count`},
		},
		{
			name:   "pdb minAvailable 100% blocks evictions",
			mutate: func(p *pc.MicroserviceProps) { p.Disruption.MinAvailable = ptr.To(intstr.FromString("100%")) },
			want:   []string{`[test/svc] disruption.minAvailable: 100% with 2 replicas blocks every eviction; keep it below the replica count`},
		},
		{
			name: "pdb with both bounds",
			mutate: func(p *pc.MicroserviceProps) {
				p.Disruption = pc.Disruption{MaxUnavailable: ptr.To(intstr.FromInt32(1)), MinAvailable: ptr.To(intstr.FromInt32(1))}
			},
			want: []string{`[test/svc] disruption: set maxUnavailable or minAvailable, not both`},
		},
		{
			name:   "no resources",
			mutate: func(p *pc.MicroserviceProps) { p.Resources = pc.Resources{} },
			want: []string{
				`[test/svc] resources.requests.cpu: is required`,
				`[test/svc] resources.limits.cpu: is required`,
				`[test/svc] resources.requests.memory: is required`,
				`[test/svc] resources.limits.memory: is required`,
			},
		},
		{
			name:   "limits below requests",
			mutate: func(p *pc.MicroserviceProps) { p.Resources = resources("1", "512Mi", "500m", "256Mi") },
			want: []string{
				`[test/svc] resources.limits.cpu: 500m is below the request 1`,
				`[test/svc] resources.limits.memory: 256Mi is below the request 512Mi`,
			},
		},
		{
			name: "environment variable set twice",
			mutate: func(p *pc.MicroserviceProps) {
				p.Env = map[string]string{"MODE": "a"}
				p.Config = map[string]string{"MODE": "b"}
				p.SecretEnv = []pc.SecretEnv{{Name: "MODE", Secret: "Bad_Secret", Key: "k"}}
			},
			want: []string{
				`[test/svc] config[MODE]: "MODE" is already set by env[MODE]`,
				`[test/svc] secretEnv[0].name: "MODE" is already set by env[MODE]`,
				`[test/svc] secretEnv[0].secret: "Bad_Secret" is not a valid Secret name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			},
		},
		{
			name: "writable paths",
			mutate: func(p *pc.MicroserviceProps) {
				p.WritablePaths = []string{"tmp", "/", "/data/", "/var/cache", "/var/cache"}
			},
			want: []string{
				`[test/svc] writablePaths[0]: "tmp" must be an absolute, clean path`,
				`[test/svc] writablePaths[1]: the root filesystem stays read-only; name a directory`,
				`[test/svc] writablePaths[2]: "/data/" must be an absolute, clean path`,
				`[test/svc] writablePaths[4]: "/var/cache" duplicates writablePaths[3] (volume "var-cache")`,
			},
		},
		{
			name:   "preStop outlasts the grace period",
			mutate: func(p *pc.MicroserviceProps) { p.PreStopDelay = 40 * time.Second },
			want:   []string{`[test/svc] preStopDelay: 40s must be shorter than terminationGracePeriod 30s`},
		},
		{
			name:   "migration without command",
			mutate: func(p *pc.MicroserviceProps) { p.Migration = &pc.Migration{} },
			want:   []string{`[test/svc] migration.command: is required`},
		},
		{
			name: "every problem is reported at once",
			mutate: func(p *pc.MicroserviceProps) {
				p.Image.Tag = "nightly"
				p.Ports = append(p.Ports, pc.Port{Name: "ws", Port: 8080})
				p.Replicas = ptr.To[int32](4)
				p.MaxReplicas = ptr.To[int32](2)
			},
			want: []string{
				`[test/svc] image: tag "nightly" is floating; prod needs a release tag (vX.Y.Z) or a digest`,
				`[test/svc] ports[1].port: 8080/TCP duplicates ports[0]`,
				`[test/svc] maxReplicas: 2 is below replicas 4; the autoscaler's minimum would exceed its maximum`,
			},
		},
		{
			name:   "explicit zero replicas is not replaced by the default",
			mutate: func(p *pc.MicroserviceProps) { p.Replicas = ptr.To[int32](0) },
			want:   []string{`[test/svc] replicas: 0 must be at least 1`},
		},
		{
			name:   "root user",
			mutate: func(p *pc.MicroserviceProps) { p.RunAsUser = ptr.To[int64](0) },
			want:   []string{`[test/svc] runAsUser: 0 is not a non-root UID; the pod must run as a UID above 0`},
		},
		{
			name:   "invalid environment is reported once, as the environment",
			mutate: func(p *pc.MicroserviceProps) { p.Environment = "Prod" },
			want: []string{
				`[test/svc] environment: "Prod" is not a valid environment name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
			},
		},
		{
			name:   "instance label too long",
			mutate: func(p *pc.MicroserviceProps) { p.PartOf = strings.Repeat("p", 60) },
			want: []string{
				`[test/svc] partOf: "` + strings.Repeat("p", 60) + `" with environment "prod" makes the instance label "` + strings.Repeat("p", 60) + `-prod", which is not a valid label value: must be no more than 63 bytes`,
			},
		},
		{
			name: "commands that cannot start",
			mutate: func(p *pc.MicroserviceProps) {
				p.Command = []string{"", "x"}
				p.Args = []string{"$(HOME)", "$$(LITERAL)", "$(MODE)"}
				p.Env = map[string]string{"MODE": "fast"}
				p.Migration = &pc.Migration{Command: []string{"python manage.py migrate"}}
			},
			want: []string{
				`[test/svc] command[0]: the program to run is empty`,
				`[test/svc] args[0]: $(HOME) names no variable of the container; Kubernetes would pass it on literally (write $$(HOME) for a literal)`,
				`[test/svc] migration.command[0]: "python manage.py migrate" contains whitespace; name the program alone and list each argument as its own element`,
			},
		},
		{
			name: "values Kubernetes rejects or changes",
			mutate: func(p *pc.MicroserviceProps) {
				p.Ports[0].AppProtocol = "not a proto!"
				p.TopologySpread = []corev1.TopologySpreadConstraint{{MaxSkew: 0, TopologyKey: "", WhenUnsatisfiable: "Nope"}}
				p.RunAsUser = ptr.To[int64](1 << 32)
				p.WorkingDir = "app"
				p.Probes.LivenessPath = "/health z"
				p.Probes.StartupTimeout = 7 * time.Second
				p.Env = map[string]string{"A": "x\x00y", "B": "\xff", "C": "$(NOPE)"}
				p.WritablePaths = []string{"/etc/app"}
				p.AllowFrom = []networkingv1.NetworkPolicyPeer{}
				p.Migration = &pc.Migration{Command: []string{"migrate"}, Timeout: 1500 * time.Millisecond}
			},
			want: []string{
				`[test/svc] env[C]: $(NOPE) names no variable of the container; Kubernetes would pass it on literally (write $$(NOPE) for a literal)`,
				`[test/svc] runAsUser: 4294967296 is above the largest UID Kubernetes accepts (2147483647)`,
				`[test/svc] workingDir: "app" must be an absolute, clean path`,
				`[test/svc] allowFrom: an empty list would admit traffic from everywhere; leave it nil for the default, or list the peers`,
				`[test/svc] topologySpread[0].maxSkew: 0 must be at least 1`,
				`[test/svc] topologySpread[0].topologyKey: "" is not a valid label key: name part must be non-empty; name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
				`[test/svc] topologySpread[0].whenUnsatisfiable: "Nope" is not DoNotSchedule or ScheduleAnyway`,
				`[test/svc] ports[0].appProtocol: "not a proto!" is not a valid application protocol (an IANA name or a domain-prefixed one such as kubernetes.io/ws): name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
				`[test/svc] probes.livenessPath: "/health z" holds whitespace or control characters; percent-encode them`,
				`[test/svc] probes.startupTimeout: 7s is not a multiple of the startup probe period (5s)`,
				`[test/svc] env[A]: holds a NUL byte, which no process can receive`,
				`[test/svc] env[B]: is not valid UTF-8; Kubernetes would store it changed`,
				`[test/svc] writablePaths[0]: "/etc/app" would hide the system directory /etc under an empty volume`,
				`[test/svc] migration.timeout: 1.5s must be a whole number of seconds, at least one`,
			},
		},
		{
			name:   "ephemeral limit below the default request",
			mutate: func(p *pc.MicroserviceProps) { p.Resources.EphemeralStorage.Limit = "100Mi" },
			want:   []string{`[test/svc] resources.limits.ephemeral-storage: 100Mi is below the request 128Mi`},
		},
		{
			name: "probes on a UDP port",
			mutate: func(p *pc.MicroserviceProps) {
				p.Ports = []pc.Port{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}}
				p.Metrics = &pc.Metrics{}
			},
			want: []string{
				`[test/svc] metrics.port: port "dns" is UDP; Prometheus scrapes over TCP`,
				`[test/svc] probes.port: port "dns" is UDP; probes connect over TCP`,
			},
		},
		{
			name: "quantities that cannot work",
			mutate: func(p *pc.MicroserviceProps) {
				p.Resources = pc.Resources{
					CPU:              pc.ResourceRange{Request: "100u", Limit: "1"},
					Memory:           pc.ResourceRange{Request: "1.5", Limit: "1Gi"},
					EphemeralStorage: pc.ResourceRange{Request: "2Gi", Limit: "1Gi"},
				}
			},
			want: []string{
				`[test/svc] resources.requests.cpu: 100u is finer than a millicore (1m), which Kubernetes rounds up`,
				`[test/svc] resources.requests.memory: 1.5 is not a whole number of bytes (the suffix m means milli; Mi means mebibytes)`,
				`[test/svc] resources.limits.ephemeral-storage: 1Gi is below the request 2Gi`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props := validProps()
			tt.mutate(&props)
			_, err := synthOne(props)
			var verr *pc.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.want, verr.Problems)
		})
	}
}

func TestMicroserviceAcceptsValidProps(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *pc.MicroserviceProps)
	}{
		{"release tag in prod", func(p *pc.MicroserviceProps) {}},
		{"pre-release tag in prod", func(p *pc.MicroserviceProps) { p.Image.Tag = "v0.11.0-beta.0" }},
		{"digest in prod", func(p *pc.MicroserviceProps) {
			p.Image = pc.ImageRef("ghcr.io/telepace/analysis", "sha256:"+strings.Repeat("ab", 32))
		}},
		{"floating tag where the environment allows it", func(p *pc.MicroserviceProps) {
			p.Environment = "dev"
			p.AllowFloatingTags = true
			p.Image.Tag = "latest"
		}},
		{"minAvailable below replicas", func(p *pc.MicroserviceProps) {
			p.Replicas = ptr.To[int32](3)
			p.Disruption.MinAvailable = ptr.To(intstr.FromInt32(2))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props := validProps()
			tt.mutate(&props)
			objs, err := synthOne(props)
			require.NoError(t, err)
			assert.NotEmpty(t, objs)
		})
	}
}

func TestMicroserviceSecureDefaults(t *testing.T) {
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) { pc.NewMicroservice(chart, "svc", validProps()) })
	assert.Equal(t, []string{
		"ServiceAccount/svc", "Deployment/svc", "Service/svc", "PodDisruptionBudget/svc", "NetworkPolicy/svc",
	}, constructstest.Kinds(objs))

	dep := constructstest.Find(objs, "Deployment", "svc")
	require.NotNil(t, dep)
	pod := dig(t, dep, "spec", "template", "spec").(map[string]any)
	assert.Equal(t, false, pod["automountServiceAccountToken"])
	assert.Equal(t, map[string]any{
		"fsGroup": float64(10001), "runAsGroup": float64(10001), "runAsNonRoot": true, "runAsUser": float64(10001),
		"seccompProfile": map[string]any{"type": "RuntimeDefault"},
	}, pod["securityContext"])
	c := pod["containers"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{
		"allowPrivilegeEscalation": false, "capabilities": map[string]any{"drop": []any{"ALL"}}, "privileged": false,
		"readOnlyRootFilesystem": true, "runAsGroup": float64(10001), "runAsNonRoot": true, "runAsUser": float64(10001),
		"seccompProfile": map[string]any{"type": "RuntimeDefault"},
	}, c["securityContext"])
	assert.Equal(t, "/healthz", dig(t, c, "livenessProbe", "httpGet", "path"))
	assert.Equal(t, "/readyz", dig(t, c, "readinessProbe", "httpGet", "path"))
	assert.Equal(t, "/healthz", dig(t, c, "startupProbe", "httpGet", "path"))
	assert.Equal(t, float64(24), dig(t, c, "startupProbe", "failureThreshold"), "2m startup timeout at 5s period")
	assert.Equal(t, float64(2), dig(t, dep, "spec", "replicas"), "without an autoscaler the Deployment sets replicas")
	assert.Equal(t, float64(30), pod["terminationGracePeriodSeconds"])
	assert.Len(t, pod["topologySpreadConstraints"], 2, "two replicas spread over zones and nodes")
	assert.Equal(t, map[string]any{
		"app.kubernetes.io/component": "server", "app.kubernetes.io/instance": "telepace-prod",
		"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "svc",
		"app.kubernetes.io/part-of": "telepace", "app.kubernetes.io/version": "v0.13.0",
	}, dig(t, dep, "metadata", "labels"))
	assert.Equal(t, float64(1), dig(t, constructstest.Find(objs, "PodDisruptionBudget", "svc"), "spec", "maxUnavailable"))
	assert.Equal(t, map[string]any{
		"limits":   map[string]any{"cpu": "500m", "ephemeral-storage": "1Gi", "memory": "256Mi"},
		"requests": map[string]any{"cpu": "100m", "ephemeral-storage": "128Mi", "memory": "128Mi"},
	}, c["resources"], "ephemeral storage is defaulted")

	np := constructstest.Find(objs, "NetworkPolicy", "svc")
	require.NotNil(t, np)
	assert.Equal(t, map[string]any{
		"podSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/instance": "telepace-prod", "app.kubernetes.io/name": "svc"}},
		"policyTypes": []any{"Ingress", "Egress"},
		// Default-deny egress: only DNS to kube-dns.
		"egress": []any{map[string]any{
			"ports": []any{map[string]any{"port": float64(53), "protocol": "UDP"}, map[string]any{"port": float64(53), "protocol": "TCP"}},
			"to": []any{map[string]any{
				"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "kube-system"}},
				"podSelector":       map[string]any{"matchLabels": map[string]any{"k8s-app": "kube-dns"}},
			}},
		}},
		"ingress": []any{map[string]any{
			"from": []any{
				map[string]any{"podSelector": map[string]any{}},
				map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"telepace.cc/network-access": "true"}}},
			},
			"ports": []any{map[string]any{"port": float64(8080), "protocol": "TCP"}},
		}},
	}, np["spec"])
	assert.Equal(t, map[string]any{
		"app.kubernetes.io/component": "server", "app.kubernetes.io/instance": "telepace-prod", "app.kubernetes.io/name": "svc",
	}, dig(t, dep, "spec", "selector", "matchLabels"), "the component keeps migration pods out")
}

func TestMicroserviceSingleReplicaHasNoSpread(t *testing.T) {
	props := validProps()
	props.Replicas = ptr.To[int32](1)
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) { pc.NewMicroservice(chart, "svc", props) })
	pod := dig(t, constructstest.Find(objs, "Deployment", "svc"), "spec", "template", "spec").(map[string]any)
	assert.NotContains(t, pod, "topologySpreadConstraints")
}

func TestMicroserviceAutoscalingLeavesReplicasToTheHPA(t *testing.T) {
	props := validProps()
	props.Replicas = ptr.To[int32](3)
	props.MaxReplicas = ptr.To[int32](10)
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) { pc.NewMicroservice(chart, "svc", props) })
	assert.NotContains(t, dig(t, constructstest.Find(objs, "Deployment", "svc"), "spec"), "replicas")
	hpa := constructstest.Find(objs, "HorizontalPodAutoscaler", "svc")
	require.NotNil(t, hpa)
	assert.Equal(t, float64(3), dig(t, hpa, "spec", "minReplicas"))
	assert.Equal(t, float64(10), dig(t, hpa, "spec", "maxReplicas"))
}

func TestMicroserviceFloatingTagIsAlwaysPulled(t *testing.T) {
	props := validProps()
	props.Environment = "dev"
	props.AllowFloatingTags = true
	props.Image.Tag = "main"
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) { pc.NewMicroservice(chart, "svc", props) })
	c := dig(t, constructstest.Find(objs, "Deployment", "svc"), "spec", "template", "spec", "containers").([]any)[0]
	assert.Equal(t, "Always", c.(map[string]any)["imagePullPolicy"])
}

// TestMicroserviceGolden compares the full output of representative
// microservices with testdata/, byte for byte. Refresh with -update.
func TestMicroserviceGolden(t *testing.T) {
	tests := []struct {
		name  string
		props func() pc.MicroserviceProps
	}{
		{"minimal", validProps},
		{"full", func() pc.MicroserviceProps {
			p := validProps()
			p.Name = "feedback"
			p.Component = "api"
			p.Ports = []pc.Port{{Name: "http", Port: 8000}, {Name: "ws", Port: 8001, AppProtocol: "kubernetes.io/ws"}}
			p.Probes = pc.Probes{TCP: true, Port: "ws", StartupTimeout: time.Minute}
			p.Metrics = &pc.Metrics{}
			p.Replicas = ptr.To[int32](3)
			p.MaxReplicas = ptr.To[int32](9)
			p.TargetCPUUtilization = ptr.To[int32](60)
			p.Env = map[string]string{"LOG_LEVEL": "info"}
			p.Config = map[string]string{"TEMPLATE": "{{ not a helm template }}", "B": "2", "A": "1"}
			p.SecretEnv = []pc.SecretEnv{{Name: "DB_PASSWORD", Secret: "db", Key: "password"}, {Name: "API_KEY", Secret: "vendor", Key: "key", Optional: true}}
			p.WritablePaths = []string{"/tmp", "/srv/app/audio_files"}
			p.TerminationGracePeriod = 5 * time.Minute
			p.PreStopDelay = 15 * time.Second
			p.Disruption.MinAvailable = ptr.To(intstr.FromString("50%"))
			p.Command = []string{"./bin/server"}
			p.Args = []string{"--config", "./configs/config.yaml"}
			p.WorkingDir = "/srv/app"
			p.Migration = &pc.Migration{Command: []string{"python", "manage.py", "migrate"}}
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := constructstest.SynthYAML(func(chart constructs.Construct) { pc.NewMicroservice(chart, "svc", tt.props()) })
			require.NoError(t, err)
			assertGolden(t, filepath.Join("testdata", "microservice-"+tt.name+".yaml"), got)
		})
	}
}

func assertGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run `make golden` to create it")
	assert.Equal(t, string(want), got, "%s is stale; run `make golden` and review the diff", path)
}

func dig(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		require.True(t, ok, "%s: not an object", p)
		v, ok = m[p]
		require.True(t, ok, "%s: missing", p)
	}
	return v
}
