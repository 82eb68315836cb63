package constructs

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Resources are a container's compute resources, written as Kubernetes
// quantities ("250m", "512Mi"). They are parsed and checked when the
// construct is validated, so a mistake such as "12GB" is reported with the
// construct path and field instead of panicking.
type Resources struct {
	// CPU is the cpu request and limit, in cores ("250m", "2"). Both are
	// required.
	CPU ResourceRange
	// Memory is the memory request and limit, in bytes ("512Mi", "1Gi").
	// Both are required.
	Memory ResourceRange
	// EphemeralStorage is the request and limit of local scratch space,
	// logs and writable paths included. Defaults to a 128Mi request and a
	// limit of 1Gi plus the size limit of every writable path.
	EphemeralStorage ResourceRange
}

// ResourceRange is the request and the limit of one resource, as
// Kubernetes quantities. An empty string leaves it unset.
type ResourceRange struct {
	// Request is what the scheduler reserves for the container.
	Request string
	// Limit is the most the container may use.
	Limit string
}

// Limits that no container can work below. The CPU floor is the kernel's:
// the CFS quota is at least 1ms per 100ms period, so a smaller limit is
// silently raised to 10m.
var (
	// MinCPULimit is the smallest cpu limit the kernel enforces as written.
	MinCPULimit = resource.MustParse("10m")
	// MinMemoryLimit is the smallest memory limit accepted: below it no
	// Python, Node.js or Go runtime starts before it is OOM-killed.
	MinMemoryLimit = resource.MustParse("16Mi")
)

// Default ephemeral storage of a container, on top of its writable paths.
var (
	DefaultEphemeralStorageRequest = resource.MustParse("128Mi")
	DefaultEphemeralStorageLimit   = resource.MustParse("1Gi")
)

// resourceField ties a quantity to its resource and its field name.
type resourceField struct {
	name     corev1.ResourceName
	kind     string // "request" or "limit"
	value    string
	required bool
}

func (r Resources) fields() []resourceField {
	return []resourceField{
		{corev1.ResourceCPU, "request", r.CPU.Request, true},
		{corev1.ResourceCPU, "limit", r.CPU.Limit, true},
		{corev1.ResourceMemory, "request", r.Memory.Request, true},
		{corev1.ResourceMemory, "limit", r.Memory.Limit, true},
		{corev1.ResourceEphemeralStorage, "request", r.EphemeralStorage.Request, false},
		{corev1.ResourceEphemeralStorage, "limit", r.EphemeralStorage.Limit, false},
	}
}

func (f resourceField) path() string {
	return "resources." + f.kind + "s." + string(f.name)
}

// requirements parses r into Kubernetes requirements. Quantities that do not
// parse, or cannot work, are left out and reported as problems.
func (r Resources) requirements() (corev1.ResourceRequirements, problems) {
	var errs problems
	req := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	for _, f := range r.fields() {
		if f.value == "" {
			if f.required {
				errs.addf(f.path(), "is required")
			}
			continue
		}
		q, msg := ParseQuantity(f.name, f.value)
		if msg != "" {
			errs.addf(f.path(), "%s", msg)
			continue
		}
		if f.kind == "limit" {
			if floor, ok := minLimit(f.name); ok && q.Cmp(floor) < 0 {
				errs.addf(f.path(), "%s is below the smallest workable limit %s", f.value, floor.String())
				continue
			}
			req.Limits[f.name] = q
		} else {
			req.Requests[f.name] = q
		}
	}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		lim, hasLim := req.Limits[name]
		rq, hasReq := req.Requests[name]
		if hasLim && hasReq && lim.Cmp(rq) < 0 {
			errs.addf("resources.limits."+string(name), "%s is below the request %s", lim.String(), rq.String())
		}
	}
	return req, errs
}

func minLimit(name corev1.ResourceName) (resource.Quantity, bool) {
	switch name {
	case corev1.ResourceCPU:
		return MinCPULimit, true
	case corev1.ResourceMemory:
		return MinMemoryLimit, true
	}
	return resource.Quantity{}, false
}

// ParseQuantity parses s as a quantity of the named resource and returns it,
// or a message saying why it cannot be used: it does not parse, it is not
// positive, it is a fraction of a byte ("128m" of memory is 0.128 bytes), or
// it is finer than a millicore.
func ParseQuantity(name corev1.ResourceName, s string) (resource.Quantity, string) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		example := "512Mi or 1Gi"
		if name == corev1.ResourceCPU {
			example = "250m or 2"
		}
		return resource.Quantity{}, fmt.Sprintf("%q is not a Kubernetes quantity; write a number with an optional suffix, such as %s", s, example)
	}
	if q.Sign() <= 0 {
		return resource.Quantity{}, fmt.Sprintf("%s must be positive", s)
	}
	switch name {
	case corev1.ResourceCPU:
		if q.Cmp(*resource.NewMilliQuantity(q.MilliValue(), resource.DecimalSI)) != 0 {
			return resource.Quantity{}, fmt.Sprintf("%s is finer than a millicore (1m), which Kubernetes rounds up", s)
		}
	default:
		if q.Cmp(*resource.NewQuantity(q.Value(), resource.BinarySI)) != 0 {
			return resource.Quantity{}, fmt.Sprintf("%s is not a whole number of bytes (the suffix m means milli; Mi means mebibytes)", s)
		}
	}
	return q, ""
}
