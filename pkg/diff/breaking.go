package diff

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Breaking is a change that makes helm upgrade or an Argo CD sync fail, or
// that loses data.
type Breaking struct {
	// Env is the chart the change is in.
	Env string
	// Object is the object changed or removed; empty for a chart-level
	// change.
	Object ID
	// Field is the path of the field at fault, or empty when the object as
	// a whole is (a removal).
	Field string
	// Reason says what the cluster does with the change.
	Reason string
}

// statefulSetMutable are the StatefulSet spec fields an update may change;
// the apiserver refuses the rest.
//
// A Service's type may change to or from ExternalName: the apiserver drops
// or allocates the cluster IP itself (test/e2e confirms both), so that is
// not listed.
var statefulSetMutable = []string{
	"replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
	"persistentVolumeClaimRetentionPolicy", "minReadySeconds",
}

func breaking(env string, base, head Chart, cd ChartDiff) []Breaking {
	var out []Breaking
	add := func(id ID, field, format string, args ...any) {
		out = append(out, Breaking{Env: env, Object: id, Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	for _, f := range cd.Chart {
		if f.Path == "namespace" {
			add(ID{}, "namespace", "the chart moves from namespace %s to %s: every object is created anew there, and what the old namespace holds (volumes, generated Secrets) is deleted with the old release", f.Old, f.New)
		}
	}
	for _, c := range cd.Changed {
		id := c.Head.ID()
		if c.Base.Namespace != c.Head.Namespace {
			if c.Base.Namespace == base.Namespace && c.Head.Namespace == head.Namespace {
				continue // it moves with its chart, reported above
			}
			add(id, "metadata.namespace", "an object cannot change namespace (the apiserver refuses the update); it is deleted from %s and created in %s", c.Base.Namespace, c.Head.Namespace)
			continue
		}
		out = append(out, immutable(env, c)...)
	}
	added := map[string][]string{}
	for _, o := range cd.Added {
		added[o.Kind] = append(added[o.Kind], o.Name)
	}
	for _, o := range cd.Removed {
		if kept(o) || hook(o) {
			continue
		}
		renamed := added[o.Kind]
		rename := ""
		if len(renamed) > 0 {
			rename = fmt.Sprintf(" (%s %s is added: a rename starts empty)", o.Kind, strings.Join(renamed, ", "))
		}
		if reason := lossOnRemoval(o, len(renamed) > 0); reason != "" {
			add(o.ID(), "", "%s%s", reason, rename)
		}
	}
	return out
}

// immutable returns the changes to c that the apiserver refuses on update.
func immutable(env string, c Change) []Breaking {
	var out []Breaking
	id := c.Head.ID()
	changed := func(path ...string) bool {
		return !reflect.DeepEqual(lookup(c.Base.Body, path...), lookup(c.Head.Body, path...))
	}
	add := func(field, reason string) {
		out = append(out, Breaking{Env: env, Object: id, Field: field, Reason: reason})
	}
	group := id.Group
	switch {
	case group == "apps" && (id.Kind == "Deployment" || id.Kind == "DaemonSet" || id.Kind == "ReplicaSet"):
		if changed("spec", "selector") {
			add("spec.selector", "the selector is immutable: the apiserver refuses the update (field is immutable)")
		}
	case group == "apps" && id.Kind == "StatefulSet":
		spec, _ := lookup(c.Head.Body, "spec").(map[string]any)
		baseSpec, _ := lookup(c.Base.Body, "spec").(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(mergeKeys(spec, baseSpec))) {
			old, cur := withDefault(baseSpec, k, statefulSetDefaults), withDefault(spec, k, statefulSetDefaults)
			if !slices.Contains(statefulSetMutable, k) && !reflect.DeepEqual(old, cur) {
				add("spec."+k, "a StatefulSet's spec is immutable except replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds: the apiserver refuses the update (field is immutable)")
			}
		}
	case group == "batch" && id.Kind == "Job":
		if hook(c.Base) && hook(c.Head) {
			break // a hook Job is deleted and created anew on every run
		}
		for _, k := range []string{"template", "selector", "completionMode", "completions", "podFailurePolicy", "backoffLimitPerIndex", "successPolicy", "managedBy"} {
			if changed("spec", k) {
				add("spec."+k, "a Job's spec."+k+" is immutable: the apiserver refuses the update (field is immutable)")
			}
		}
	case group == "" && id.Kind == "Service":
		oldIP, _ := lookup(c.Base.Body, "spec", "clusterIP").(string)
		newIP, _ := lookup(c.Head.Body, "spec", "clusterIP").(string)
		if newIP != "" && oldIP != newIP {
			add("spec.clusterIP", "clusterIP is immutable once set: the apiserver refuses the update (may not change once set)")
		}
	case group == "" && id.Kind == "PersistentVolumeClaim":
		spec, _ := lookup(c.Head.Body, "spec").(map[string]any)
		baseSpec, _ := lookup(c.Base.Body, "spec").(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(mergeKeys(spec, baseSpec))) {
			if k != "resources" && k != "volumeAttributesClassName" && changed("spec", k) {
				add("spec."+k, "a claim's spec is immutable after creation except resources.requests and volumeAttributesClassName: the apiserver refuses the update (Forbidden)")
			}
		}
		if shrinks(lookup(c.Base.Body, "spec", "resources", "requests", "storage"), lookup(c.Head.Body, "spec", "resources", "requests", "storage")) {
			add("spec.resources.requests.storage", "a claim cannot shrink: the apiserver refuses the update (can not be less than status.capacity)")
		}
	case group == "" && (id.Kind == "ConfigMap" || id.Kind == "Secret"):
		if lookup(c.Base.Body, "immutable") == true {
			if changed("data") || changed("binaryData") || changed("stringData") {
				add("data", "the "+id.Kind+" is immutable: the apiserver refuses a change to its data (field is immutable when `immutable` is set)")
			}
			if lookup(c.Head.Body, "immutable") != true {
				add("immutable", "an immutable "+id.Kind+" cannot become mutable: the apiserver refuses the update (field is immutable when `immutable` is set)")
			}
		}
		if id.Kind == "Secret" && cmp.Or(str(c.Base.Body, "type"), "Opaque") != cmp.Or(str(c.Head.Body, "type"), "Opaque") {
			add("type", "a Secret's type is immutable: the apiserver refuses the update (field is immutable)")
		}
	case group == "rbac.authorization.k8s.io" && (id.Kind == "RoleBinding" || id.Kind == "ClusterRoleBinding"):
		if changed("roleRef") {
			add("roleRef", "a binding's roleRef is immutable: the apiserver refuses the update (field is immutable); a new role needs a new binding")
		}
	}
	return out
}

// statefulSetDefaults are the values the apiserver gives fields a
// StatefulSet leaves out; leaving one out where it was set to the default
// changes nothing.
var statefulSetDefaults = map[string]any{"podManagementPolicy": "OrderedReady"}

// withDefault returns m[k], or the default when m leaves k out.
func withDefault(m map[string]any, k string, defaults map[string]any) any {
	if v, ok := m[k]; ok {
		return v
	}
	return defaults[k]
}

func str(v any, keys ...string) string {
	s, _ := lookup(v, keys...).(string)
	return s
}

// kept reports whether Helm leaves the object in place when the chart no
// longer has it.
func kept(o Object) bool {
	return lookup(o.Body, "metadata", "annotations", "helm.sh/resource-policy") == "keep"
}

// hook reports whether the object is a Helm or Argo CD hook that is
// deleted before it is created again.
func hook(o Object) bool {
	ann, _ := lookup(o.Body, "metadata", "annotations").(map[string]any)
	if _, ok := ann["argocd.argoproj.io/hook"]; ok {
		policy, _ := ann["argocd.argoproj.io/hook-delete-policy"].(string)
		return policy == "" || strings.Contains(policy, "BeforeHookCreation")
	}
	if _, ok := ann["helm.sh/hook"]; ok {
		policy, _ := ann["helm.sh/hook-delete-policy"].(string)
		return policy == "" || strings.Contains(policy, "before-hook-creation")
	}
	return false
}

// HoldsData reports whether deleting the object loses data: a volume
// claim, a Secret, a StatefulSet whose claims go with it, or a custom
// resource whose controller deletes or regenerates what it made.
func HoldsData(o Object) bool { return lossOnRemoval(o, false) != "" }

// lossOnRemoval says what is lost when the chart no longer has o (and
// another object of its kind is added, when renamed), or "" when nothing
// is.
func lossOnRemoval(o Object, renamed bool) string {
	const deleted = "helm deletes it on upgrade and Argo CD prunes it"
	switch id := o.ID(); {
	case id.Group == "" && id.Kind == "PersistentVolumeClaim":
		return "holds a volume; " + deleted
	case id.Group == "" && id.Kind == "Secret":
		return "holds credentials; " + deleted
	case id.Group == "apps" && id.Kind == "StatefulSet":
		vct, _ := lookup(o.Body, "spec", "volumeClaimTemplates").([]any)
		switch {
		case len(vct) == 0:
			return ""
		case str(o.Body, "spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted") == "Delete":
			return "its claims are deleted with it (whenDeleted: Delete); " + deleted
		case renamed:
			return "its claims stay behind, unused: the claims of a StatefulSet are named after it"
		}
		return "" // the claims stay, and a StatefulSet of the same name finds them again
	case id.Group == "bitnami.com" && id.Kind == "SealedSecret":
		// The controller reads the annotation from the Secret's template,
		// the metadata it gives the Secret it makes
		// (SealedSecret.Spec.Template.Annotations); on the SealedSecret's
		// own metadata it means nothing. With it, the Secret has no owner
		// reference and outlives the SealedSecret.
		if lookup(o.Body, "spec", "template", "metadata", "annotations", "sealedsecrets.bitnami.com/skip-set-owner-references") == "true" {
			return ""
		}
		return "custom resource whose CRD stays installed: helm deletes it, and the Secret it owns is garbage-collected (no sealedsecrets.bitnami.com/skip-set-owner-references in spec.template.metadata.annotations)"
	case id.Group == "external-secrets.io" && id.Kind == "ExternalSecret":
		if strings.Contains(fmt.Sprint(lookup(o.Body, "spec")), "generatorRef") {
			return "custom resource whose CRD stays installed: helm deletes it, and the values it generated are made anew by the next one"
		}
		if cmp.Or(str(o.Body, "spec", "target", "creationPolicy"), "Owner") == "Owner" {
			return "custom resource whose CRD stays installed: helm deletes it, and the Secret it owns (creationPolicy Owner) is garbage-collected"
		}
	case id.Group == "generators.external-secrets.io":
		return "custom resource whose CRD stays installed: helm deletes it, and what it generated is made anew by its successor"
	case id.Group == "argoproj.io" && id.Kind == "Application":
		fin, _ := lookup(o.Body, "metadata", "finalizers").([]any)
		for _, f := range fin {
			if strings.HasPrefix(fmt.Sprint(f), "resources-finalizer.argocd.argoproj.io") {
				return "custom resource whose CRD stays installed: helm deletes it, and its resources finalizer makes Argo CD delete every object the application deployed"
			}
		}
	}
	return ""
}
