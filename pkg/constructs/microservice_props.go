package constructs

import (
	"cmp"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Port is a port the container listens on, exposed through the Service under
// the same name.
type Port struct {
	// Name is an IANA service name ("http", "ws", "metrics"). Required.
	Name string
	// Port is the container and Service port number. Required.
	Port int32
	// Protocol is the transport protocol. Defaults to TCP.
	Protocol corev1.Protocol
	// AppProtocol hints the application protocol to gateways and meshes, for
	// example "kubernetes.io/ws" for WebSocket. Defaults to none.
	AppProtocol string
}

// Probes configures the liveness, readiness and startup probes. All three
// target the same port.
type Probes struct {
	// TCP makes every probe a TCP connect to the probe port instead of an
	// HTTP GET, for services with no health endpoint. The liveness probe then
	// waits two minutes (6 failures 20s apart) before a restart, since a
	// connect cannot tell a busy service from a stuck one. Defaults to false.
	TCP bool
	// Port is the name of the port the probes target. Defaults to the first
	// port in Ports.
	Port string
	// LivenessPath is the HTTP path of the liveness probe. Defaults to
	// "/healthz".
	LivenessPath string
	// ReadinessPath is the HTTP path of the readiness probe. Defaults to
	// "/readyz".
	ReadinessPath string
	// StartupTimeout is how long the startup probe gives the container to
	// come up before the kubelet restarts it. Defaults to 2 minutes.
	StartupTimeout time.Duration
}

// Metrics names the endpoint Prometheus scrapes.
type Metrics struct {
	// Port is the name of the port that serves metrics. Defaults to the first
	// port in Ports.
	Port string
	// Path is the HTTP path of the metrics endpoint. Defaults to "/metrics".
	Path string
}

// SecretEnv sets an environment variable from one key of a Secret. The Secret
// itself is managed elsewhere (ExternalSecrets or SealedSecrets); no secret
// value ever appears in the generated charts.
type SecretEnv struct {
	// Name is the environment variable. Required.
	Name string
	// Secret is the name of the Secret. Required.
	Secret string
	// Key is the key within the Secret. Required.
	Key string
	// Optional lets the container start when the Secret or key is missing.
	// Defaults to false.
	Optional bool
}

// Disruption bounds voluntary evictions through a PodDisruptionBudget. Set at
// most one of the two fields.
type Disruption struct {
	// MaxUnavailable is how many pods may be evicted at once. Defaults to 1
	// when MinAvailable is unset.
	MaxUnavailable *intstr.IntOrString
	// MinAvailable is how many pods must stay available. Defaults to unset.
	MinAvailable *intstr.IntOrString
}

// Migration is a Job that runs the service's image with its environment to
// completion: under Helm, before every upgrade (a pre-upgrade hook) and
// after the first install (post-install, once the release's objects, the
// ExternalSecrets its Secrets come from among them, exist); under Argo CD,
// in sync wave MigrationSyncWave of every sync, after the secrets layer and
// before the Deployments.
type Migration struct {
	// AfterSync runs it under Argo CD as a PostSync hook, once every other
	// object is healthy, instead of in MigrationSyncWave: for a chart that
	// installs its database and secrets operator itself (the dev
	// umbrella), whose objects no earlier wave could wait for. Defaults to
	// false.
	AfterSync bool
	// Command is the migration's entrypoint, for example
	// ["python", "manage.py", "migrate", "--noinput"]. Required.
	Command []string
	// Timeout bounds the whole Job. Defaults to 10 minutes.
	Timeout time.Duration
	// BackoffLimit is how often a failed migration pod is retried. Defaults
	// to 2.
	BackoffLimit *int32
}

// Telemetry configures the OpenTelemetry SDK of a service through its
// standard environment variables: OTEL_SERVICE_NAME (the service's name),
// OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_RESOURCE_ATTRIBUTES
// (deployment.environment.name and service.version, the image version) and
// a parent-based trace-ID-ratio sampler.
type Telemetry struct {
	// Endpoint is the OTLP collector's base URL, such as
	// "http://otel-collector.monitoring.svc:4318". Required.
	Endpoint string
	// SampleRatio is the share of new traces sampled, from 0 to 1.
	SampleRatio float64
}

// EnvironmentLabel is the pod label that log agents turn into the
// environment stream label; app.kubernetes.io/name and
// app.kubernetes.io/component give the service and component.
const EnvironmentLabel = "telepace.cc/environment"

// NetworkAccessLabel marks namespaces whose pods may reach every Telepace
// service by default, such as the monitoring namespace. The gateway's
// namespace must not carry it: it is admitted only to the services it
// routes to (see AllowFromNamespace).
const NetworkAccessLabel = "telepace.cc/network-access"

// DefaultAllowFrom returns the default peers of MicroserviceProps.AllowFrom:
// every pod in the same namespace, and every pod in namespaces labelled
// NetworkAccessLabel.
func DefaultAllowFrom() []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{
		{PodSelector: &metav1.LabelSelector{}},
		{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NetworkAccessLabel: "true"}}},
	}
}

// MicroserviceProps configures a Microservice. The zero value of every
// optional field selects the documented default.
type MicroserviceProps struct {
	// Environment is the environment the service is deployed to ("dev",
	// "staging", "prod"): part of the instance label, and named in messages.
	// Required.
	Environment string
	// AllowFloatingTags accepts image tags that move (latest, main, a branch
	// name). The environment decides; the library holds no environment
	// names. Defaults to false: only a release tag (vX.Y.Z) or a digest.
	AllowFloatingTags bool
	// Name names every object the construct creates and is the
	// app.kubernetes.io/name label. It must be a DNS-1035 label. Defaults to
	// the construct id.
	Name string
	// Component is the app.kubernetes.io/component label. Defaults to
	// "server".
	Component string
	// PartOf is the app.kubernetes.io/part-of label, and with Environment
	// forms the app.kubernetes.io/instance label. Defaults to "telepace".
	PartOf string
	// Image is the container image. Required.
	Image Image
	// Command overrides the image's entrypoint. Defaults to the image's.
	Command []string
	// Args overrides the image's arguments. Defaults to the image's.
	Args []string
	// WorkingDir overrides the image's working directory. Defaults to the
	// image's.
	WorkingDir string
	// Ports are the ports the container listens on. The first is the primary
	// port that probes and metrics use unless told otherwise. Required.
	Ports []Port
	// Probes configures health checking. Defaults to HTTP probes on the first
	// port: liveness /healthz, readiness /readyz, startup /healthz for up to
	// 2 minutes.
	Probes Probes
	// Metrics is the Prometheus endpoint. Defaults to none: the service
	// exposes no metrics.
	Metrics *Metrics
	// Replicas is the number of pods, and the autoscaler's minimum when
	// MaxReplicas is larger. It must be at least 1: an explicit 0 is an
	// error, never replaced by the default. Defaults to 2 when nil.
	Replicas *int32
	// MaxReplicas is the autoscaler's maximum. A HorizontalPodAutoscaler is
	// created when it exceeds Replicas, and the Deployment then leaves its
	// replica count to the autoscaler. Defaults to Replicas (no autoscaling).
	MaxReplicas *int32
	// TargetCPUUtilization is the average CPU utilisation, in percent of the
	// request, that the autoscaler aims for, from 1 to 100. Defaults to 70
	// when nil.
	TargetCPUUtilization *int32
	// Resources are the container's requests and limits, as quantities.
	// Requests and limits for cpu and memory are required, and no limit may
	// be below its request. Ephemeral storage defaults to a 128Mi request
	// and a limit of 1Gi plus the size limit of every writable path.
	Resources Resources
	// Env sets literal environment variables. Defaults to none.
	Env map[string]string
	// Config holds non-secret settings. When set, a ConfigMap holds them and
	// the container loads every key as an environment variable; a checksum
	// annotation rolls the pods when it changes. Defaults to none (no
	// ConfigMap).
	Config map[string]string
	// SecretEnv sets environment variables from Secrets by name and key.
	// Defaults to none.
	SecretEnv []SecretEnv
	// WritablePaths are directories the container writes to. The root
	// filesystem is read-only, so each gets an emptyDir volume. Defaults to
	// none.
	WritablePaths []string
	// WritableSizeLimit caps each writable path's emptyDir, as a quantity.
	// Defaults to "1Gi".
	WritableSizeLimit string
	// TerminationGracePeriod is how long a terminating pod may take to drain
	// its connections. WebSocket services need minutes. Defaults to 30s.
	TerminationGracePeriod time.Duration
	// PreStopDelay keeps a terminating pod serving while endpoints and
	// gateways stop routing to it. Defaults to 5s.
	PreStopDelay time.Duration
	// Disruption bounds voluntary evictions. Defaults to MaxUnavailable 1.
	Disruption Disruption
	// TopologySpread spreads pods over failure domains. Defaults, when
	// MaxReplicas > 1, to at most one pod of skew across zones
	// (topology.kubernetes.io/zone, DoNotSchedule) and a best-effort spread
	// across nodes (kubernetes.io/hostname, ScheduleAnyway). Set an empty,
	// non-nil slice for none.
	TopologySpread []corev1.TopologySpreadConstraint
	// RunAsUser is the non-root UID, and group, the pod runs as; 0 (root) is
	// an error. Defaults to 10001 when nil.
	RunAsUser *int64
	// Migration runs a Job before every install and upgrade. Defaults to
	// none.
	Migration *Migration
	// AllowFrom lists the peers a NetworkPolicy admits to every declared
	// port; nothing else may connect. It is not routing: gateway routes are
	// HTTPRoutes. Defaults to DefaultAllowFrom(): the same namespace and
	// namespaces labelled with NetworkAccessLabel.
	AllowFrom []networkingv1.NetworkPolicyPeer
	// Egress lists where the service's pods may connect; everything else is
	// denied. DNS to kube-dns is always admitted. Defaults to DNS only.
	Egress []EgressRule
	// PrivatePaths are HTTP paths the service serves that must never be
	// reachable through the gateway, such as an unauthenticated admin
	// endpoint. An HTTPRoute whose match would reach one is an error.
	// Defaults to none.
	PrivatePaths []string
	// Telemetry sends traces to an OpenTelemetry collector through the
	// standard OTEL_* variables. Defaults to none.
	Telemetry *Telemetry
	// ServiceAnnotations annotate the Service, for example Kong's
	// konghq.com/read-timeout. Defaults to none.
	ServiceAnnotations map[string]string
}

// Defaults of MicroserviceProps.
const (
	DefaultComponent              = "server"
	DefaultPartOf                 = "telepace"
	DefaultReplicas         int32 = 2
	DefaultTargetCPU        int32 = 70
	DefaultRunAsUser        int64 = 10001
	DefaultLivenessPath           = "/healthz"
	DefaultReadinessPath          = "/readyz"
	DefaultMetricsPath            = "/metrics"
	DefaultStartupTimeout         = 2 * time.Minute
	DefaultTerminationGrace       = 30 * time.Second
	DefaultPreStopDelay           = 5 * time.Second
	DefaultMigrationTimeout       = 10 * time.Minute
	DefaultMigrationBackoff int32 = 2
)

// DefaultWritableSizeLimit is the default cap of each writable path.
const DefaultWritableSizeLimit = "1Gi"

// WithDefaults returns p with every default NewMicroservice applies, the
// name defaulting to id. A plan computes with it, without jsii; applying
// it twice changes nothing.
func (p MicroserviceProps) WithDefaults(id string) MicroserviceProps {
	p.Name = cmp.Or(p.Name, id)
	p.Component = cmp.Or(p.Component, DefaultComponent)
	p.PartOf = cmp.Or(p.PartOf, DefaultPartOf)
	if len(p.Ports) > 0 {
		p.Probes.Port = cmp.Or(p.Probes.Port, p.Ports[0].Name)
		if p.Metrics != nil {
			m := *p.Metrics
			m.Port = cmp.Or(m.Port, p.Ports[0].Name)
			m.Path = cmp.Or(m.Path, DefaultMetricsPath)
			p.Metrics = &m
		}
	}
	p.Ports = slices.Clone(p.Ports)
	for i := range p.Ports {
		p.Ports[i].Protocol = cmp.Or(p.Ports[i].Protocol, corev1.ProtocolTCP)
	}
	p.Probes.LivenessPath = cmp.Or(p.Probes.LivenessPath, DefaultLivenessPath)
	p.Probes.ReadinessPath = cmp.Or(p.Probes.ReadinessPath, DefaultReadinessPath)
	p.Probes.StartupTimeout = cmp.Or(p.Probes.StartupTimeout, DefaultStartupTimeout)
	// Pointers default only when nil: an explicit zero is the user's choice,
	// and validation reports it instead of silently replacing it.
	p.Replicas = ptr.To(ptr.Deref(p.Replicas, DefaultReplicas))
	if p.MaxReplicas == nil {
		p.MaxReplicas = ptr.To(*p.Replicas)
	}
	p.TargetCPUUtilization = ptr.To(ptr.Deref(p.TargetCPUUtilization, DefaultTargetCPU))
	p.RunAsUser = ptr.To(ptr.Deref(p.RunAsUser, DefaultRunAsUser))
	p.WritableSizeLimit = cmp.Or(p.WritableSizeLimit, DefaultWritableSizeLimit)
	p.TerminationGracePeriod = cmp.Or(p.TerminationGracePeriod, DefaultTerminationGrace)
	p.PreStopDelay = cmp.Or(p.PreStopDelay, DefaultPreStopDelay)
	if p.Disruption.MaxUnavailable == nil && p.Disruption.MinAvailable == nil {
		p.Disruption.MaxUnavailable = ptr.To(intstr.FromInt32(1))
	}
	if p.AllowFrom == nil {
		p.AllowFrom = DefaultAllowFrom()
	}
	if p.TopologySpread == nil && *p.MaxReplicas > 1 {
		p.TopologySpread = defaultTopologySpread(p.selectorLabels())
	}
	if p.Migration != nil {
		m := *p.Migration
		m.Timeout = cmp.Or(m.Timeout, DefaultMigrationTimeout)
		if m.BackoffLimit == nil {
			m.BackoffLimit = ptr.To(DefaultMigrationBackoff)
		}
		p.Migration = &m
	}
	return p
}

// resourceRequirements returns the parsed requests and limits, with the
// ephemeral-storage defaults where none is set. The limit covers the
// writable paths' emptyDirs, which count against it, on top of the
// container's own logs and scratch space. Quantities that do not parse are
// left out; validation reports them.
func (p MicroserviceProps) resourceRequirements() corev1.ResourceRequirements {
	r, _ := p.Resources.requirements()
	if _, ok := r.Requests[corev1.ResourceEphemeralStorage]; !ok && p.Resources.EphemeralStorage.Request == "" {
		r.Requests[corev1.ResourceEphemeralStorage] = DefaultEphemeralStorageRequest.DeepCopy()
	}
	if _, ok := r.Limits[corev1.ResourceEphemeralStorage]; !ok && p.Resources.EphemeralStorage.Limit == "" {
		limit := DefaultEphemeralStorageLimit.DeepCopy()
		if size, ok := p.writableSizeLimit(); ok {
			for range p.WritablePaths {
				limit.Add(size)
			}
		}
		r.Limits[corev1.ResourceEphemeralStorage] = limit
	}
	return r
}

// writableSizeLimit parses WritableSizeLimit; validation reports a bad one.
func (p MicroserviceProps) writableSizeLimit() (resource.Quantity, bool) {
	q, msg := ParseQuantity(corev1.ResourceEphemeralStorage, p.WritableSizeLimit)
	return q, msg == ""
}

func defaultTopologySpread(selector map[string]string) []corev1.TopologySpreadConstraint {
	spread := func(key string, when corev1.UnsatisfiableConstraintAction) corev1.TopologySpreadConstraint {
		return corev1.TopologySpreadConstraint{
			MaxSkew:           1,
			TopologyKey:       key,
			WhenUnsatisfiable: when,
			LabelSelector:     &metav1.LabelSelector{MatchLabels: selector},
			MatchLabelKeys:    []string{appsv1.DefaultDeploymentUniqueLabelKey},
		}
	}
	return []corev1.TopologySpreadConstraint{
		spread(corev1.LabelTopologyZone, corev1.DoNotSchedule),
		spread(corev1.LabelHostname, corev1.ScheduleAnyway),
	}
}
