package constructs

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// problems collects validation messages, each "field: message".
type problems []string

func (p *problems) addf(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

// labels adds a problem for each key of m that is not a label key and each
// value that is not a label value, at field[key], in key order.
func (p *problems) labels(field string, m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		f := fmt.Sprintf("%s[%s]", field, k)
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			p.addf(f, "%q is not a valid label key: %s", k, strings.Join(msgs, "; "))
		}
		if msgs := validation.IsValidLabelValue(m[k]); len(msgs) > 0 {
			p.addf(f, "%q is not a valid label value: %s", m[k], strings.Join(msgs, "; "))
		}
	}
}

// validate returns every problem with defaulted props, in a stable order.
// It has no side effects.
func (p MicroserviceProps) validate() []string {
	var errs problems
	envValid := false
	if p.Environment == "" {
		errs.addf("environment", "is required")
	} else if msgs := validation.IsDNS1123Label(p.Environment); len(msgs) > 0 {
		errs.addf("environment", "%q is not a valid environment name: %s", p.Environment, strings.Join(msgs, "; "))
	} else {
		envValid = true
	}
	if msgs := validation.IsDNS1035Label(p.Name); len(msgs) > 0 {
		errs.addf("name", "%q is not a valid DNS label: %s", p.Name, strings.Join(msgs, "; "))
	} else if p.Migration != nil && len(p.Name+migrationSuffix) > validation.DNS1035LabelMaxLength {
		errs.addf("name", "%q is too long for its migration Job %q: at most %d characters", p.Name, p.Name+migrationSuffix, validation.DNS1035LabelMaxLength-len(migrationSuffix))
	}
	for _, l := range []struct{ field, value string }{{"component", p.Component}, {"partOf", p.PartOf}} {
		if msgs := validation.IsValidLabelValue(l.value); len(msgs) > 0 {
			errs.addf(l.field, "%q is not a valid label value: %s", l.value, strings.Join(msgs, "; "))
		}
	}
	if envValid && len(validation.IsValidLabelValue(p.PartOf)) == 0 {
		// Both parts are valid on their own; only their length together
		// can still break the instance label.
		if msgs := validation.IsValidLabelValue(p.instance()); len(msgs) > 0 {
			errs.addf("partOf", "%q with environment %q makes the instance label %q, which is not a valid label value: %s", p.PartOf, p.Environment, p.instance(), strings.Join(msgs, "; "))
		}
	}
	errs = append(errs, p.Image.validate(p.Environment, p.AllowFloatingTags)...)
	validateCommand(&errs, "command", p.Command, true)
	validateCommand(&errs, "args", p.Args, false)
	p.validateVariableRefs(&errs)
	if *p.RunAsUser <= 0 {
		errs.addf("runAsUser", "%d is not a non-root UID; the pod must run as a UID above 0", *p.RunAsUser)
	} else if *p.RunAsUser > math.MaxInt32 {
		errs.addf("runAsUser", "%d is above the largest UID Kubernetes accepts (%d)", *p.RunAsUser, math.MaxInt32)
	}
	if p.WorkingDir != "" && (!path.IsAbs(p.WorkingDir) || path.Clean(p.WorkingDir) != p.WorkingDir) {
		errs.addf("workingDir", "%q must be an absolute, clean path", p.WorkingDir)
	}
	if p.AllowFrom != nil && len(p.AllowFrom) == 0 {
		errs.addf("allowFrom", "an empty list would admit traffic from everywhere; leave it nil for the default, or list the peers")
	}
	for i, c := range p.TopologySpread {
		field := fmt.Sprintf("topologySpread[%d]", i)
		if c.MaxSkew < 1 {
			errs.addf(field+".maxSkew", "%d must be at least 1", c.MaxSkew)
		}
		if msgs := validation.IsQualifiedName(c.TopologyKey); len(msgs) > 0 {
			errs.addf(field+".topologyKey", "%q is not a valid label key: %s", c.TopologyKey, strings.Join(msgs, "; "))
		}
		if c.WhenUnsatisfiable != corev1.DoNotSchedule && c.WhenUnsatisfiable != corev1.ScheduleAnyway {
			errs.addf(field+".whenUnsatisfiable", "%q is not DoNotSchedule or ScheduleAnyway", c.WhenUnsatisfiable)
		}
	}
	p.validatePorts(&errs)
	p.validateProbes(&errs)
	p.validateScaling(&errs)
	_, resourceErrs := p.Resources.requirements()
	errs = append(errs, resourceErrs...)
	if len(resourceErrs) == 0 {
		// With the ephemeral-storage defaults in, a given limit may fall
		// below the default request, or a given request above the default
		// limit.
		r := p.resourceRequirements()
		lim, req := r.Limits[corev1.ResourceEphemeralStorage], r.Requests[corev1.ResourceEphemeralStorage]
		if lim.Cmp(req) < 0 {
			errs.addf("resources.limits.ephemeral-storage", "%s is below the request %s", lim.String(), req.String())
		}
	}
	p.validateEnv(&errs)
	p.validateWritablePaths(&errs)
	validateEgress(&errs, p.Egress)
	for i, path := range p.PrivatePaths {
		if !strings.HasPrefix(path, "/") {
			errs.addf(fmt.Sprintf("privatePaths[%d]", i), "%q must start with /", path)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(p.ServiceAnnotations)) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs.addf(fmt.Sprintf("serviceAnnotations[%s]", k), "%q is not a valid annotation key: %s", k, strings.Join(msgs, "; "))
		} else if strings.HasPrefix(k, "konghq.com/") && strings.HasSuffix(k, "-timeout") {
			// Kong reads these as whole milliseconds and silently ignores
			// anything else, such as "60s".
			if n, err := strconv.Atoi(p.ServiceAnnotations[k]); err != nil || n < 1 || n > 2147483646 {
				errs.addf(fmt.Sprintf("serviceAnnotations[%s]", k), "%q is not a whole number of milliseconds (1-2147483646); Kong would ignore it", p.ServiceAnnotations[k])
			}
		}
	}
	if p.TerminationGracePeriod < 0 || p.TerminationGracePeriod%time.Second != 0 {
		errs.addf("terminationGracePeriod", "%s must be a non-negative whole number of seconds", p.TerminationGracePeriod)
	}
	if p.PreStopDelay < 0 || p.PreStopDelay%time.Second != 0 {
		errs.addf("preStopDelay", "%s must be a non-negative whole number of seconds", p.PreStopDelay)
	} else if p.PreStopDelay >= p.TerminationGracePeriod {
		errs.addf("preStopDelay", "%s must be shorter than terminationGracePeriod %s", p.PreStopDelay, p.TerminationGracePeriod)
	}
	if p.Migration != nil {
		if len(p.Migration.Command) == 0 {
			errs.addf("migration.command", "is required")
		} else {
			validateCommand(&errs, "migration.command", p.Migration.Command, true)
		}
		if p.Migration.Timeout < time.Second || p.Migration.Timeout%time.Second != 0 {
			errs.addf("migration.timeout", "%s must be a whole number of seconds, at least one", p.Migration.Timeout)
		}
		if *p.Migration.BackoffLimit < 0 {
			errs.addf("migration.backoffLimit", "%d is negative", *p.Migration.BackoffLimit)
		}
	}
	return errs
}

func (p MicroserviceProps) validatePorts(errs *problems) {
	if len(p.Ports) == 0 {
		errs.addf("ports", "at least one port is required")
		return
	}
	byName := map[string]int{}
	byNumber := map[string]int{}
	for i, port := range p.Ports {
		field := fmt.Sprintf("ports[%d]", i)
		if msgs := validation.IsValidPortName(port.Name); len(msgs) > 0 {
			errs.addf(field+".name", "%q is not a valid port name: %s", port.Name, strings.Join(msgs, "; "))
		} else if j, dup := byName[port.Name]; dup {
			errs.addf(field+".name", "%q duplicates ports[%d]", port.Name, j)
		} else {
			byName[port.Name] = i
		}
		if msgs := validation.IsValidPortNum(int(port.Port)); len(msgs) > 0 {
			errs.addf(field+".port", "%d is not a valid port number: %s", port.Port, strings.Join(msgs, "; "))
		}
		key := fmt.Sprintf("%d/%s", port.Port, port.Protocol)
		if j, dup := byNumber[key]; dup {
			errs.addf(field+".port", "%s duplicates ports[%d]", key, j)
		} else {
			byNumber[key] = i
		}
		if port.AppProtocol != "" {
			if msgs := validation.IsQualifiedName(port.AppProtocol); len(msgs) > 0 {
				errs.addf(field+".appProtocol", "%q is not a valid application protocol (an IANA name or a domain-prefixed one such as kubernetes.io/ws): %s", port.AppProtocol, strings.Join(msgs, "; "))
			}
		}
		switch port.Protocol {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			errs.addf(field+".protocol", "%q is not TCP, UDP or SCTP", port.Protocol)
		}
	}
	if p.Metrics != nil {
		if i, ok := byName[p.Metrics.Port]; !ok {
			errs.addf("metrics.port", "port %q is not declared in ports", p.Metrics.Port)
		} else if p.Ports[i].Protocol != corev1.ProtocolTCP {
			errs.addf("metrics.port", "port %q is %s; Prometheus scrapes over TCP", p.Metrics.Port, p.Ports[i].Protocol)
		}
		validateHTTPPath(errs, "metrics.path", p.Metrics.Path)
	}
	if i, ok := byName[p.Probes.Port]; !ok {
		errs.addf("probes.port", "port %q is not declared in ports", p.Probes.Port)
	} else if p.Ports[i].Protocol != corev1.ProtocolTCP {
		errs.addf("probes.port", "port %q is %s; probes connect over TCP", p.Probes.Port, p.Ports[i].Protocol)
	}
}

func (p MicroserviceProps) validateProbes(errs *problems) {
	if !p.Probes.TCP {
		for _, f := range []struct{ field, path string }{{"probes.livenessPath", p.Probes.LivenessPath}, {"probes.readinessPath", p.Probes.ReadinessPath}} {
			validateHTTPPath(errs, f.field, f.path)
		}
	}
	if p.Probes.StartupTimeout < 5*time.Second {
		errs.addf("probes.startupTimeout", "%s is shorter than one startup probe period (5s)", p.Probes.StartupTimeout)
	} else if p.Probes.StartupTimeout%(5*time.Second) != 0 {
		errs.addf("probes.startupTimeout", "%s is not a multiple of the startup probe period (5s)", p.Probes.StartupTimeout)
	}
}

func (p MicroserviceProps) validateScaling(errs *problems) {
	minReplicas, maxReplicas := *p.Replicas, *p.MaxReplicas
	if minReplicas < 1 {
		errs.addf("replicas", "%d must be at least 1", minReplicas)
	}
	if maxReplicas < minReplicas {
		errs.addf("maxReplicas", "%d is below replicas %d; the autoscaler's minimum would exceed its maximum", maxReplicas, minReplicas)
	}
	if t := *p.TargetCPUUtilization; t < 1 || t > 100 {
		errs.addf("targetCPUUtilization", "%d%% is outside 1-100%%", t)
	}
	d := p.Disruption
	switch {
	case d.MaxUnavailable != nil && d.MinAvailable != nil:
		errs.addf("disruption", "set maxUnavailable or minAvailable, not both")
	case d.MaxUnavailable != nil:
		n, err := intstr.GetScaledValueFromIntOrPercent(d.MaxUnavailable, int(maxReplicas), true)
		if err != nil {
			errs.addf("disruption.maxUnavailable", "%s: %v", d.MaxUnavailable, err)
		} else if n < 1 {
			errs.addf("disruption.maxUnavailable", "%s blocks every eviction; allow at least one pod to be evicted", d.MaxUnavailable)
		}
	case d.MinAvailable != nil:
		// Evictions are blocked whenever minAvailable reaches the replica
		// count, which with an autoscaler can be as low as the minimum.
		n, err := intstr.GetScaledValueFromIntOrPercent(d.MinAvailable, int(minReplicas), true)
		if err != nil {
			errs.addf("disruption.minAvailable", "%s: %v", d.MinAvailable, err)
		} else if n >= int(minReplicas) {
			errs.addf("disruption.minAvailable", "%s with %d replicas blocks every eviction; keep it below the replica count", d.MinAvailable, minReplicas)
		}
	}
}

func (p MicroserviceProps) validateEnv(errs *problems) {
	seen := map[string]string{}
	check := func(field, name string) {
		if msgs := validation.IsEnvVarName(name); len(msgs) > 0 {
			errs.addf(field, "%q is not a valid environment variable name: %s", name, strings.Join(msgs, "; "))
			return
		}
		if prev, dup := seen[name]; dup {
			errs.addf(field, "%q is already set by %s", name, prev)
			return
		}
		seen[name] = field
	}
	value := func(field, v string) {
		switch {
		case !utf8.ValidString(v):
			errs.addf(field, "is not valid UTF-8; Kubernetes would store it changed")
		case strings.ContainsRune(v, 0):
			errs.addf(field, "holds a NUL byte, which no process can receive")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(p.Env)) {
		check(fmt.Sprintf("env[%s]", k), k)
		value(fmt.Sprintf("env[%s]", k), p.Env[k])
	}
	for _, k := range slices.Sorted(maps.Keys(p.telemetryEnv())) {
		check("telemetry", k)
	}
	if t := p.Telemetry; t != nil {
		if u, err := url.Parse(t.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" && u.Path != "/" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			errs.addf("telemetry.endpoint", "%q is not an OTLP base URL such as http://otel-collector.monitoring.svc:4318", t.Endpoint)
		}
		if t.SampleRatio < 0 || t.SampleRatio > 1 || math.IsNaN(t.SampleRatio) {
			errs.addf("telemetry.sampleRatio", "%v is outside 0..1", t.SampleRatio)
		}
	}
	size := 0
	for k, v := range p.Config {
		size += len(k) + len(v)
	}
	if size > maxConfigMapBytes {
		errs.addf("config", "holds %d bytes; a ConfigMap holds at most %d", size, maxConfigMapBytes)
	}
	for _, k := range slices.Sorted(maps.Keys(p.Config)) {
		if msgs := validation.IsConfigMapKey(k); len(msgs) > 0 {
			errs.addf(fmt.Sprintf("config[%s]", k), "%q is not a valid ConfigMap key: %s", k, strings.Join(msgs, "; "))
			continue
		}
		check(fmt.Sprintf("config[%s]", k), k)
		value(fmt.Sprintf("config[%s]", k), p.Config[k])
		if secretLikeKey.MatchString(k) && p.Config[k] != "" {
			errs.addf(fmt.Sprintf("config[%s]", k), "a setting named like a secret must come from a Secret (secretEnv), never be written in git")
		}
	}
	for i, s := range p.SecretEnv {
		field := fmt.Sprintf("secretEnv[%d]", i)
		check(field+".name", s.Name)
		if msgs := validation.IsDNS1123Subdomain(s.Secret); len(msgs) > 0 {
			errs.addf(field+".secret", "%q is not a valid Secret name: %s", s.Secret, strings.Join(msgs, "; "))
		}
		if msgs := validation.IsConfigMapKey(s.Key); len(msgs) > 0 {
			errs.addf(field+".key", "%q is not a valid Secret key: %s", s.Key, strings.Join(msgs, "; "))
		}
	}
}

func (p MicroserviceProps) validateWritablePaths(errs *problems) {
	byVolume := map[string]int{}
	for i, w := range p.WritablePaths {
		field := fmt.Sprintf("writablePaths[%d]", i)
		switch {
		case !path.IsAbs(w) || path.Clean(w) != w:
			errs.addf(field, "%q must be an absolute, clean path", w)
		case w == "/":
			errs.addf(field, "the root filesystem stays read-only; name a directory")
		case slices.ContainsFunc(reservedPaths, func(r string) bool { return w == r || strings.HasPrefix(w, r+"/") }):
			errs.addf(field, "%q would hide the system directory %s under an empty volume", w, reservedPaths[slices.IndexFunc(reservedPaths, func(r string) bool { return w == r || strings.HasPrefix(w, r+"/") })])
		default:
			name := volumeName(w)
			if j, dup := byVolume[name]; dup {
				errs.addf(field, "%q duplicates writablePaths[%d] (volume %q)", w, j, name)
			} else {
				byVolume[name] = i
			}
		}
	}
	if _, msg := ParseQuantity(corev1.ResourceEphemeralStorage, p.WritableSizeLimit); msg != "" {
		errs.addf("writableSizeLimit", "%s", msg)
	}
}

var nonLabelChars = regexp.MustCompile(`[^a-z0-9]+`)

// volumeName derives a DNS label from a path: /telepace/app/audio_files
// becomes telepace-app-audio-files.
func volumeName(p string) string {
	name := strings.Trim(nonLabelChars.ReplaceAllString(strings.ToLower(p), "-"), "-")
	if len(name) > validation.DNS1123LabelMaxLength {
		name = strings.TrimRight(name[:validation.DNS1123LabelMaxLength], "-")
	}
	if name == "" {
		return "root"
	}
	return name
}

func isLabelValue(v string) bool { return len(validation.IsValidLabelValue(v)) == 0 }

// validateCommand checks an entrypoint or argument list. The program, the
// first element of an entrypoint, must be named on its own: a container
// runtime looks for an executable called "python manage.py migrate"
// literally and fails to start.
func validateCommand(errs *problems, field string, list []string, entrypoint bool) {
	for i, s := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case strings.ContainsRune(s, 0):
			errs.addf(f, "%q contains a NUL byte", s)
		case entrypoint && i == 0 && strings.TrimSpace(s) == "":
			errs.addf(f, "the program to run is empty")
		case entrypoint && i == 0 && strings.ContainsAny(s, " \t\n"):
			errs.addf(f, "%q contains whitespace; name the program alone and list each argument as its own element", s)
		}
	}
}

// variableRef matches the $(NAME) references that Kubernetes expands in
// commands and arguments; $$(NAME) is an escaped literal.
var variableRef = regexp.MustCompile(`\$\$|\$\(([^)]*)\)`)

// validateVariableRefs reports $(NAME) references in command and args to
// variables the container does not define: Kubernetes leaves those as the
// literal text "$(NAME)", which the program then receives.
func (p MicroserviceProps) validateVariableRefs(errs *problems) {
	defined := map[string]bool{}
	for k := range p.Env {
		defined[k] = true
	}
	for k := range p.Config {
		defined[k] = true
	}
	for _, s := range p.SecretEnv {
		defined[s.Name] = true
	}
	checkOne := func(field, s string) {
		for _, m := range variableRef.FindAllStringSubmatch(s, -1) {
			if m[0] != "$$" && !defined[m[1]] {
				errs.addf(field, "$(%s) names no variable of the container; Kubernetes would pass it on literally (write $$(%s) for a literal)", m[1], m[1])
			}
		}
	}
	check := func(field string, list []string) {
		for i, s := range list {
			checkOne(fmt.Sprintf("%s[%d]", field, i), s)
		}
	}
	check("command", p.Command)
	check("args", p.Args)
	for _, k := range slices.Sorted(maps.Keys(p.Env)) {
		checkOne(fmt.Sprintf("env[%s]", k), p.Env[k])
	}
	if p.Migration != nil {
		check("migration.command", p.Migration.Command)
	}
}

// validateHTTPPath checks a path an HTTP request line will carry.
func validateHTTPPath(errs *problems, field, p string) {
	switch {
	case !strings.HasPrefix(p, "/"):
		errs.addf(field, "%q must start with /", p)
	case strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		errs.addf(field, "%q holds whitespace or control characters; percent-encode them", p)
	}
}

// reservedPaths are directories an emptyDir must not cover: the container
// would lose its devices, kernel interfaces or system configuration.
var reservedPaths = []string{"/proc", "/dev", "/sys", "/etc", "/usr", "/bin", "/sbin", "/lib"}

// maxConfigMapBytes is the most a ConfigMap may hold.
const maxConfigMapBytes = 1 << 20
