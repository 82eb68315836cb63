package constructs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

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
	labels[EnvironmentLabel] = p.Environment
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
		Env:             p.literalEnv(p.envWithTelemetry()),
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
// telemetryEnv returns the OTEL_* variables of p.Telemetry, or nil.
func (p MicroserviceProps) telemetryEnv() map[string]string {
	t := p.Telemetry
	if t == nil {
		return nil
	}
	return map[string]string{
		"OTEL_SERVICE_NAME":           p.Name,
		"OTEL_EXPORTER_OTLP_ENDPOINT": t.Endpoint,
		// Port 4318 speaks OTLP over HTTP; some SDKs default to gRPC.
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
		"OTEL_RESOURCE_ATTRIBUTES":    "deployment.environment.name=" + p.Environment + ",service.version=" + p.Image.Version(),
		"OTEL_TRACES_SAMPLER":         "parentbased_traceidratio",
		"OTEL_TRACES_SAMPLER_ARG":     strconv.FormatFloat(t.SampleRatio, 'g', -1, 64),
	}
}

// envWithTelemetry is Env with the OTEL_* variables added.
func (p MicroserviceProps) envWithTelemetry() map[string]string {
	tel := p.telemetryEnv()
	if tel == nil {
		return p.Env
	}
	env := maps.Clone(p.Env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, tel)
	return env
}

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
