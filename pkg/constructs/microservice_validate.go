package constructs

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// problems collects validation messages, each "field: message".
type problems []string

func (p *problems) addf(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
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
	}
	p.validatePorts(&errs)
	p.validateProbes(&errs)
	p.validateScaling(&errs)
	_, resourceErrs := p.Resources.requirements()
	errs = append(errs, resourceErrs...)
	p.validateEnv(&errs)
	p.validateWritablePaths(&errs)
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
		if p.Migration.Timeout < time.Second {
			errs.addf("migration.timeout", "%s is shorter than a second", p.Migration.Timeout)
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
		switch port.Protocol {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			errs.addf(field+".protocol", "%q is not TCP, UDP or SCTP", port.Protocol)
		}
	}
	if p.Metrics != nil {
		if _, ok := byName[p.Metrics.Port]; !ok {
			errs.addf("metrics.port", "port %q is not declared in ports", p.Metrics.Port)
		}
		if !strings.HasPrefix(p.Metrics.Path, "/") {
			errs.addf("metrics.path", "%q must start with /", p.Metrics.Path)
		}
	}
	if _, ok := byName[p.Probes.Port]; !ok {
		errs.addf("probes.port", "port %q is not declared in ports", p.Probes.Port)
	}
}

func (p MicroserviceProps) validateProbes(errs *problems) {
	if !p.Probes.TCP {
		for _, f := range []struct{ field, path string }{{"probes.livenessPath", p.Probes.LivenessPath}, {"probes.readinessPath", p.Probes.ReadinessPath}} {
			if !strings.HasPrefix(f.path, "/") {
				errs.addf(f.field, "%q must start with /", f.path)
			}
		}
	}
	if p.Probes.StartupTimeout < 5*time.Second {
		errs.addf("probes.startupTimeout", "%s is shorter than one startup probe period (5s)", p.Probes.StartupTimeout)
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
	for _, k := range slices.Sorted(maps.Keys(p.Env)) {
		check(fmt.Sprintf("env[%s]", k), k)
	}
	for _, k := range slices.Sorted(maps.Keys(p.Config)) {
		if msgs := validation.IsConfigMapKey(k); len(msgs) > 0 {
			errs.addf(fmt.Sprintf("config[%s]", k), "%q is not a valid ConfigMap key: %s", k, strings.Join(msgs, "; "))
			continue
		}
		check(fmt.Sprintf("config[%s]", k), k)
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
	check := func(field string, list []string) {
		for i, s := range list {
			for _, m := range variableRef.FindAllStringSubmatch(s, -1) {
				if m[0] == "$$" {
					continue
				}
				if !defined[m[1]] {
					errs.addf(fmt.Sprintf("%s[%d]", field, i), "$(%s) names no variable of the container; Kubernetes would pass it on literally (write $$(%s) for a literal)", m[1], m[1])
				}
			}
		}
	}
	check("command", p.Command)
	check("args", p.Args)
	if p.Migration != nil {
		check("migration.command", p.Migration.Command)
	}
}
