package constructs

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
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

// Migration is a Job that runs to completion before every install and
// upgrade, through Helm's pre-install and pre-upgrade hooks (Argo CD maps them
// to PreSync). It runs the service's image with its environment.
type Migration struct {
	// Command is the migration's entrypoint, for example
	// ["python", "manage.py", "migrate", "--noinput"]. Required.
	Command []string
	// Timeout bounds the whole Job. Defaults to 10 minutes.
	Timeout time.Duration
	// BackoffLimit is how often a failed migration pod is retried. Defaults
	// to 2.
	BackoffLimit *int32
}

// Ingress says who may connect to the service, through a NetworkPolicy that
// admits traffic to the declared ports only.
type Ingress struct {
	// From lists the peers allowed to reach every declared port. Defaults to
	// every pod in the same namespace, and every pod in namespaces labelled
	// telepace.cc/network-access: "true" (label the gateway's and
	// Prometheus's namespaces so).
	From []networkingv1.NetworkPolicyPeer
}

// NetworkAccessLabel marks namespaces whose pods may reach every Telepace
// service by default, such as the gateway's and the monitoring namespace.
const NetworkAccessLabel = "telepace.cc/network-access"

func defaultIngressFrom() []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{
		{PodSelector: &metav1.LabelSelector{}},
		{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NetworkAccessLabel: "true"}}},
	}
}

// MicroserviceProps configures a Microservice. The zero value of every
// optional field selects the documented default.
type MicroserviceProps struct {
	// Environment is the environment the service is deployed to ("dev",
	// "staging", "prod"). It selects the image policy: only "dev" accepts
	// floating tags. Required.
	Environment string
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
	// Ingress restricts who may connect. Defaults to the same namespace and
	// namespaces labelled with NetworkAccessLabel.
	Ingress Ingress
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

// withDefaults returns a copy of p with every unset optional field set to its
// documented default. It never changes required fields.
func (p MicroserviceProps) withDefaults(id string) MicroserviceProps {
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
	if p.Ingress.From == nil {
		p.Ingress.From = defaultIngressFrom()
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

// Microservice is one Telepace service: a Deployment with a hardened pod, its
// Service and ServiceAccount, a PodDisruptionBudget, and, where configured, a
// HorizontalPodAutoscaler, a ConfigMap and a pre-upgrade migration Job.
//
// Invalid props do not panic: every problem is registered as a construct
// validation, and cdk8s reports them all, each prefixed with the construct
// path, when the app is synthesised.
type Microservice struct {
	constructs.Construct

	props MicroserviceProps

	// Deployment runs the pods.
	Deployment cdk8s.ApiObject
	// Service exposes every port inside the cluster.
	Service cdk8s.ApiObject
	// ServiceAccount is the pods' identity; its token is not mounted.
	ServiceAccount cdk8s.ApiObject
	// PodDisruptionBudget bounds voluntary evictions.
	PodDisruptionBudget cdk8s.ApiObject
	// HorizontalPodAutoscaler is nil unless MaxReplicas exceeds Replicas.
	HorizontalPodAutoscaler cdk8s.ApiObject
	// ConfigMap is nil unless Config is set.
	ConfigMap cdk8s.ApiObject
	// MigrationJob is nil unless Migration is set.
	MigrationJob cdk8s.ApiObject
	// NetworkPolicy admits traffic to the declared ports from Ingress.From
	// only.
	NetworkPolicy cdk8s.ApiObject
}

// NewMicroservice adds a Microservice named id to scope.
func NewMicroservice(scope constructs.Construct, id string, props MicroserviceProps) *Microservice {
	p := props.withDefaults(id)
	m := &Microservice{Construct: constructs.NewConstruct(scope, jsii.String(id)), props: p}
	AddProblems(m.Construct, p.validate()...)

	m.ServiceAccount = NewTypedObject(m.Construct, "service-account", m.serviceAccount())
	if len(p.Config) > 0 {
		m.ConfigMap = NewTypedObject(m.Construct, "config", m.configMap())
	}
	m.Deployment = NewTypedObject(m.Construct, "deployment", m.deployment())
	m.Service = NewTypedObject(m.Construct, "service", m.service())
	m.PodDisruptionBudget = NewTypedObject(m.Construct, "pdb", m.podDisruptionBudget())
	m.NetworkPolicy = NewTypedObject(m.Construct, "network-policy", m.networkPolicy())
	if *p.MaxReplicas > *p.Replicas {
		m.HorizontalPodAutoscaler = NewTypedObject(m.Construct, "hpa", m.horizontalPodAutoscaler())
	}
	if p.Migration != nil {
		m.MigrationJob = NewTypedObject(m.Construct, "migration", m.migrationJob())
	}
	return m
}

// Name returns the name of the service and of every object it creates.
func (m *Microservice) Name() string { return m.props.Name }

// SelectorLabels returns the labels that select the service's pods.
func (m *Microservice) SelectorLabels() map[string]string { return m.props.selectorLabels() }

// Ports returns the declared ports, with defaults applied.
func (m *Microservice) Ports() []Port { return slices.Clone(m.props.Ports) }

// Metrics returns the metrics endpoint, or nil when the service has none.
func (m *Microservice) Metrics() *Metrics {
	if m.props.Metrics == nil {
		return nil
	}
	metrics := *m.props.Metrics
	return &metrics
}

// Image returns the container image.
func (m *Microservice) Image() Image { return m.props.Image }

// selectorLabels select the service's serving pods. The component label
// keeps the migration Job's pods out of the Service, the PodDisruptionBudget
// and the Deployment.
func (p MicroserviceProps) selectorLabels() map[string]string {
	l := p.podLabels()
	l["app.kubernetes.io/component"] = p.Component
	return l
}

// podLabels select every pod of the service, migration pods included.
func (p MicroserviceProps) podLabels() map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":     p.Name,
		"app.kubernetes.io/instance": p.instance(),
	}
}

func (p MicroserviceProps) instance() string {
	if p.Environment == "" {
		return p.PartOf
	}
	return p.PartOf + "-" + p.Environment
}

// labels returns the recommended app.kubernetes.io labels.
func (p MicroserviceProps) labels() map[string]string {
	l := p.selectorLabels()
	l["app.kubernetes.io/component"] = p.Component
	l["app.kubernetes.io/part-of"] = p.PartOf
	l["app.kubernetes.io/managed-by"] = "Helm"
	if v := p.Image.Version(); isLabelValue(v) {
		l["app.kubernetes.io/version"] = v
	}
	return l
}

func (p MicroserviceProps) objectMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: p.labels()}
}

func (m *Microservice) serviceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:                   m.props.objectMeta(m.props.Name),
		AutomountServiceAccountToken: ptr.To(false),
	}
}

func (m *Microservice) configMap() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: m.props.objectMeta(m.props.Name),
		Data:       maps.Clone(m.props.Config),
	}
}

func (m *Microservice) deployment() *appsv1.Deployment {
	p := m.props
	var replicas *int32
	if *p.MaxReplicas <= *p.Replicas {
		// With an autoscaler the replica count is left to it, so neither
		// Helm upgrades nor Argo CD syncs reset what it chose.
		replicas = ptr.To(*p.Replicas)
	}
	template := m.podTemplate()
	if len(p.Config) > 0 {
		template.Annotations = map[string]string{"checksum/config": checksum(p.Config)}
		template.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{
			ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: p.Name}},
		}}
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: p.objectMeta(p.Name),
		Spec: appsv1.DeploymentSpec{
			Replicas:             replicas,
			RevisionHistoryLimit: ptr.To[int32](5),
			Selector:             &metav1.LabelSelector{MatchLabels: p.selectorLabels()},
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxSurge:       ptr.To(intstr.FromString("25%")),
					MaxUnavailable: ptr.To(intstr.FromInt32(0)),
				},
			},
			Template: template,
		},
	}
}

// podTemplate returns the hardened pod shared by the Deployment.
func (m *Microservice) podTemplate() corev1.PodTemplateSpec {
	p := m.props
	c := m.container()
	c.Ports = make([]corev1.ContainerPort, 0, len(p.Ports))
	for _, port := range p.Ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: port.Name, ContainerPort: port.Port, Protocol: port.Protocol})
	}
	c.StartupProbe, c.LivenessProbe, c.ReadinessProbe = p.probes()
	c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
		Sleep: &corev1.SleepAction{Seconds: int64(p.PreStopDelay / time.Second)},
	}}
	spec := m.podSpec(c)
	spec.ServiceAccountName = p.Name
	spec.TerminationGracePeriodSeconds = ptr.To(int64(p.TerminationGracePeriod / time.Second))
	spec.TopologySpreadConstraints = p.TopologySpread
	labels := p.labels()
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}
}

// container returns the container with its image, environment, resources,
// writable mounts and security context, shared by the Deployment and the
// migration Job.
func (m *Microservice) container() corev1.Container {
	p := m.props
	c := corev1.Container{
		Name:            p.Name,
		Image:           p.Image.String(),
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         slices.Clone(p.Command),
		Args:            slices.Clone(p.Args),
		WorkingDir:      p.WorkingDir,
		Env:             p.literalEnv(p.Env),
		Resources:       p.resourceRequirements(),
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptr.To(true),
			RunAsUser:                ptr.To(*p.RunAsUser),
			RunAsGroup:               ptr.To(*p.RunAsUser),
			ReadOnlyRootFilesystem:   ptr.To(true),
			AllowPrivilegeEscalation: ptr.To(false),
			Privileged:               ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
	if !p.Image.IsReleasePinned() {
		// A floating tag moves; pull it every time so dev runs what was pushed.
		c.ImagePullPolicy = corev1.PullAlways
	}
	for _, w := range p.writableVolumes() {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: w.name, MountPath: w.path})
	}
	return c
}

func (m *Microservice) podSpec(c corev1.Container) corev1.PodSpec {
	p := m.props
	spec := corev1.PodSpec{
		AutomountServiceAccountToken: ptr.To(false),
		EnableServiceLinks:           ptr.To(false),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			RunAsUser:      ptr.To(*p.RunAsUser),
			RunAsGroup:     ptr.To(*p.RunAsUser),
			FSGroup:        ptr.To(*p.RunAsUser),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{c},
	}
	size, _ := p.writableSizeLimit()
	for _, w := range p.writableVolumes() {
		spec.Volumes = append(spec.Volumes, corev1.Volume{
			Name:         w.name,
			VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(size.DeepCopy())}},
		})
	}
	return spec
}

// literalEnv returns the literal variables in name order, then the Secret
// references in the order given.
func (p MicroserviceProps) literalEnv(literals map[string]string) []corev1.EnvVar {
	var env []corev1.EnvVar
	for _, k := range slices.Sorted(maps.Keys(literals)) {
		env = append(env, corev1.EnvVar{Name: k, Value: literals[k]})
	}
	for _, s := range p.SecretEnv {
		ref := &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: s.Secret}, Key: s.Key}
		if s.Optional {
			ref.Optional = ptr.To(true)
		}
		env = append(env, corev1.EnvVar{Name: s.Name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: ref}})
	}
	return env
}

func (p MicroserviceProps) probes() (startup, liveness, readiness *corev1.Probe) {
	handler := func(path string) corev1.ProbeHandler {
		port := intstr.FromString(p.Probes.Port)
		if p.Probes.TCP {
			return corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: port}}
		}
		return corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: port, Scheme: corev1.URISchemeHTTP}}
	}
	const startupPeriod = 5
	startup = &corev1.Probe{
		ProbeHandler:     handler(p.Probes.LivenessPath),
		PeriodSeconds:    startupPeriod,
		TimeoutSeconds:   2,
		FailureThreshold: int32(max(1, p.Probes.StartupTimeout/(startupPeriod*time.Second))),
	}
	liveness = &corev1.Probe{
		ProbeHandler:     handler(p.Probes.LivenessPath),
		PeriodSeconds:    10,
		TimeoutSeconds:   2,
		FailureThreshold: 3,
	}
	if p.Probes.TCP {
		// A TCP connect cannot tell "busy" from "stuck", so restart only
		// after two minutes of refused connections; readiness reacts in
		// seconds.
		liveness.PeriodSeconds, liveness.FailureThreshold = 20, 6
	}
	readiness = &corev1.Probe{
		ProbeHandler:     handler(p.Probes.ReadinessPath),
		PeriodSeconds:    5,
		TimeoutSeconds:   2,
		FailureThreshold: 3,
	}
	return startup, liveness, readiness
}

func (m *Microservice) service() *corev1.Service {
	p := m.props
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: p.objectMeta(p.Name),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: p.selectorLabels(),
		},
	}
	for _, port := range p.Ports {
		sp := corev1.ServicePort{Name: port.Name, Port: port.Port, TargetPort: intstr.FromString(port.Name), Protocol: port.Protocol}
		if port.AppProtocol != "" {
			sp.AppProtocol = ptr.To(port.AppProtocol)
		}
		svc.Spec.Ports = append(svc.Spec.Ports, sp)
	}
	return svc
}

func (m *Microservice) podDisruptionBudget() *policyv1.PodDisruptionBudget {
	p := m.props
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: p.objectMeta(p.Name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: p.selectorLabels()},
			MaxUnavailable: p.Disruption.MaxUnavailable,
			MinAvailable:   p.Disruption.MinAvailable,
		},
	}
}

func (m *Microservice) networkPolicy() *networkingv1.NetworkPolicy {
	p := m.props
	rule := networkingv1.NetworkPolicyIngressRule{From: p.Ingress.From}
	for _, port := range p.Ports {
		rule.Ports = append(rule.Ports, networkingv1.NetworkPolicyPort{
			Protocol: ptr.To(port.Protocol),
			Port:     ptr.To(intstr.FromInt32(port.Port)),
		})
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: p.objectMeta(p.Name),
		Spec: networkingv1.NetworkPolicySpec{
			// Every pod of the service, the migration Job's included.
			PodSelector: metav1.LabelSelector{MatchLabels: p.podLabels()},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{rule},
		},
	}
}

func (m *Microservice) horizontalPodAutoscaler() *autoscalingv2.HorizontalPodAutoscaler {
	p := m.props
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: p.objectMeta(p.Name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: p.Name},
			MinReplicas:    ptr.To(*p.Replicas),
			MaxReplicas:    *p.MaxReplicas,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(*p.TargetCPUUtilization)},
				},
			}},
		},
	}
}

// migrationJob returns the pre-install/pre-upgrade hook. Hooks run before the
// chart's other objects exist, so the Job uses the namespace's default
// ServiceAccount (without a token) and gets the Config settings inline rather
// than from the ConfigMap.
func (m *Microservice) migrationJob() *batchv1.Job {
	p := m.props
	env := maps.Clone(p.Env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, p.Config)
	c := m.container()
	c.Name = "migrate"
	c.Command = slices.Clone(p.Migration.Command)
	c.Args = nil
	c.Env = p.literalEnv(env)
	spec := m.podSpec(c)
	spec.RestartPolicy = corev1.RestartPolicyNever
	name := p.Name + migrationSuffix
	meta := p.objectMeta(name)
	meta.Labels["app.kubernetes.io/component"] = "migration"
	meta.Annotations = map[string]string{
		"helm.sh/hook":               "pre-install,pre-upgrade",
		"helm.sh/hook-weight":        "-5",
		"helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
	}
	podLabels := p.labels()
	podLabels["app.kubernetes.io/component"] = "migration"
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: meta,
		Spec: batchv1.JobSpec{
			BackoffLimit:          ptr.To(*p.Migration.BackoffLimit),
			ActiveDeadlineSeconds: ptr.To(int64(p.Migration.Timeout / time.Second)),
			Template:              corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: podLabels}, Spec: spec},
		},
	}
}

const migrationSuffix = "-migrate"

type writableVolume struct{ name, path string }

// writableVolumes names one emptyDir volume per writable path: "tmp" for
// /tmp, "telepace-app-logs" for /telepace/app/logs.
func (p MicroserviceProps) writableVolumes() []writableVolume {
	out := make([]writableVolume, 0, len(p.WritablePaths))
	for _, path := range p.WritablePaths {
		out = append(out, writableVolume{name: volumeName(path), path: path})
	}
	return out
}

// checksum is a stable digest of settings, used to roll pods on change.
func checksum(settings map[string]string) string {
	raw, err := json.Marshal(settings) // map keys marshal sorted
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}
