package constructs

// Recommended label keys (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/).
// pkg/synth files every object under templates/<app.kubernetes.io/name>.yaml.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelVersion   = "app.kubernetes.io/version"
)

// Labels are the recommended app.kubernetes.io labels of an object. Every
// construct labels its objects through them, so every object lands in its
// service's template file and carries the same identity.
type Labels struct {
	// Name is the application, and the template file the object goes to.
	// Required.
	Name string
	// Instance tells installations apart: part-of and environment,
	// "telepace-prod". Required.
	Instance string
	// Component is the role within the application ("server", "migration",
	// "gateway"). Defaults to none.
	Component string
	// PartOf is the larger application. Defaults to none.
	PartOf string
	// Version is the application's version; left out when it is not a valid
	// label value. Defaults to none.
	Version string
}

// Instance returns the instance label value of partOf in environment:
// "telepace-prod", or partOf alone without an environment.
func Instance(partOf, environment string) string {
	if environment == "" {
		return partOf
	}
	return partOf + "-" + environment
}

// Map returns every set label, and app.kubernetes.io/managed-by: Helm.
func (l Labels) Map() map[string]string {
	m := map[string]string{
		LabelName:      l.Name,
		LabelInstance:  l.Instance,
		LabelManagedBy: "Helm",
	}
	for k, v := range map[string]string{LabelComponent: l.Component, LabelPartOf: l.PartOf} {
		if v != "" {
			m[k] = v
		}
	}
	if l.Version != "" && isLabelValue(l.Version) {
		m[LabelVersion] = l.Version
	}
	return m
}

// Selector returns the labels that select the object's pods: name,
// instance, and component when set. Selectors are immutable, so they hold
// nothing that changes between releases.
func (l Labels) Selector() map[string]string {
	m := map[string]string{LabelName: l.Name, LabelInstance: l.Instance}
	if l.Component != "" {
		m[LabelComponent] = l.Component
	}
	return m
}

// WithComponent returns l with another component, such as "migration".
func (l Labels) WithComponent(component string) Labels {
	l.Component = component
	return l
}
